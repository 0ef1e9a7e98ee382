/**
 * The VAE with a VampPrior (Tomczak & Welling, 2018).
 *
 * The prior is the encoder's own posterior averaged over K learned
 * pseudo-inputs u_k, p(z) = (1/K) Σ_k q(z|u_k): the aggregate posterior the
 * optimal prior would be, approximated with K points. The KL between q(z|x)
 * and this mixture has no closed form, so the loss uses the draw z that is
 * decoded: reconstruction NLL + β·(log q(z|x) − log p(z)). The pseudo-inputs
 * learn through log p(z), by way of the encoder.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { logNormalDiag } from '../../losses/index.js';
import { Rng } from '../../random.js';
import { variablesOf, type NetworkArgs } from '../shared/networks.js';
import type { Batch, ForwardContext, ModelOutput } from '../types.js';
import { betaAt, Vae } from '../vae/model.js';
import { LOG_VAR_RANGE, type VampConfig } from './config.js';
import { logMixtureDensity, sampleMixture } from './prior.js';
import { buildPseudoInputs, pseudoInputsOf, setPseudoInputs } from './pseudo-inputs.js';
import { gatherRows } from '../../data/pixels.js';
import { featureSize, type Dataset } from '../../data/types.js';

/** A type, not an interface, so that it fits the contract's Record<string, LayersModel>. */
export type VampNetworks = {
  encoder: LayersModel;
  decoder: LayersModel;
  /** The K pseudo-inputs, [K, h·w·c] in data space. */
  pseudo_inputs: LayersModel;
};

export class Vamp extends Vae<VampConfig> {
  declare readonly networks: VampNetworks;

  constructor(config: VampConfig, networks: VampNetworks) {
    super(config, networks);
  }

  static createNetworks(config: VampConfig, rng: Rng): VampNetworks {
    return { ...Vae.create(config, rng), pseudo_inputs: buildPseudoInputs(config, rng) };
  }

  /** The pseudo-inputs u_k in data space, [K, h·w·c]. */
  pseudoInputs(): tf.Tensor2D {
    return pseudoInputsOf(this.networks.pseudo_inputs);
  }

  /** With `--pseudo-init data`: u_k start as K training examples drawn without replacement (cycling when K > n). */
  initialiseFromData(data: Dataset, rng: Rng): void {
    if (this.config.pseudoInit !== 'data' || data.n < 1) return;
    const { pseudoInputs: k } = this.config;
    const order = rng.permutation(data.n);
    const u = gatherRows(data, Array.from({ length: k }, (_, i) => order[i % data.n]!));
    tf.tidy(() => setPseudoInputs(this.networks.pseudo_inputs, tf.tensor2d(u, [k, featureSize(data)])));
  }

  /** q(z|x), its log σ² clipped to the authors' range with --log-var-clamp hardtanh (a config without the field: unclipped). */
  override posterior(batch: Batch, args?: NetworkArgs): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const { mu, logVar } = super.posterior(batch, args);
    if (this.config.logVarClamp !== 'hardtanh') return { mu, logVar };
    // clipByValue's gradient is dy inside [min, max] and 0 outside, Hardtanh's.
    return { mu, logVar: tf.clipByValue(logVar, LOG_VAR_RANGE.min, LOG_VAR_RANGE.max) };
  }

  /** The mixture's components q(z|u_k): μ_k and log σ²_k, each [K, latent]. */
  priorComponents(): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    return tf.tidy(() => this.posterior({ x: this.pseudoInputs() }));
  }

  protected override logPrior(z: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const { mu, logVar } = this.priorComponents();
      return logMixtureDensity(z, mu, logVar);
    });
  }

  override forward(batch: Batch, ctx: ForwardContext): ModelOutput {
    return tf.tidy(() => {
      const { mu, logVar, z, preact, recon } = this.drawAndDecode(batch, ctx);
      // One-sample estimate of KL(q(z|x) ‖ p(z)) at the decoded draw.
      const kl = tf.mean(tf.sub(logNormalDiag(z, mu, logVar), this.logPrior(z))) as tf.Scalar;
      const reconWeight = this.config.reconWeight ?? 1;
      const loss = tf.add(tf.mul(reconWeight, recon), tf.mul(betaAt(this.config, ctx.epoch), kl)) as tf.Scalar;
      return { loss, terms: { recon, kl }, z, recon: this.outputOf(preact) };
    });
  }

  /** Pick a component uniformly, draw from q(z|u_k) with its σ scaled by T. */
  samplePrior(n: number, seed: number, temperature: number): tf.Tensor2D {
    return tf.tidy(() => {
      const { mu, logVar } = this.priorComponents();
      const rng = new Rng(seed);
      return sampleMixture(mu, logVar, n, temperature, () => rng.next(), rng.seed());
    });
  }

  override trainableVariables(): tf.Variable[] {
    return variablesOf(this.networks.encoder, this.networks.decoder, this.networks.pseudo_inputs);
  }

  override dispose(): void {
    super.dispose();
    this.networks.pseudo_inputs.dispose();
  }
}
