/**
 * A VAE with two stochastic layers (Burda, Grosse & Salakhutdinov, 2016:
 * the bottom-up inference of their two-layer models, not the ladder variant).
 *
 *   generative  p(z2) = N(0, I),  p(z1|z2) = N(μ_p(z2), diag σ_p²(z2)),  p(x|z1) as the VAE's decoder
 *   inference   q(z1|x) = N(μ1(x), diag σ1²(x)),  q(z2|z1) = N(μ2(z1), diag σ2²(z1))
 *
 * The code z of the contract (size `latent`) is the lower layer z1, and z2
 * (size `latent2`) is its learned prior p(z1) = ∫ p(z1|z2) p(z2) dz2:
 * encode(x) is the mean of q(z1|x), decode(z1) the mean of p(x|z1), and
 * samplePrior draws ancestrally, z2 ~ N(0, I) then z1 ~ p(z1|z2), so every
 * sampler decodes draws of the whole generative model. With z2 as the code
 * instead, decode(z2) could only pass z1 = E[z1|z2] to p(x|z1): what z1
 * holds beyond z2 (often most of it: the top layer of a two-layer VAE tends
 * to keep few active units) would be lost to reconstructions, maps and samples.
 *
 * The loss is the negative ELBO from one joint draw z1 ~ q(z1|x), z2 ~ q(z2|z1):
 *   recon + β·(kl1 + kl2),  recon = −log p(x|z1),  kl1 = log q(z1|x) − log p(z1|z2),
 *   kl2 = KL(q(z2|z1) ‖ N(0, I)) in closed form.
 *
 * The x ↔ z1 networks are the VAE's (`encoder`, `decoder`, either
 * architecture); the z1 ↔ z2 ones (`encoder2`, `decoder2`) are MLPs.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { klStandardNormal, logNormalDiag, logStandardNormal, repeatRows } from '../../losses/index.js';
import { Rng } from '../../random.js';
import { denseHead, denseStack } from '../shared/mlp.js';
import { inference, networkArgs, variablesOf, type NetworkArgs } from '../shared/networks.js';
import type { Activation, Batch, ForwardContext, ModelOutput } from '../types.js';
import { betaAt, reparameterize, Vae } from '../vae/model.js';
import type { HvaeConfig } from './config.js';

// A type, not an interface, so it is a Record<string, LayersModel> as the contract's `networks` is.
export type HvaeNetworks = {
  /** q(z1|x): x → (mu, log_var) of z1. */
  encoder: tfl.LayersModel;
  /** q(z2|z1): z1 → (encoder2_mu, encoder2_log_var) of z2. */
  encoder2: tfl.LayersModel;
  /** p(z1|z2): z2 → (decoder2_mu, decoder2_log_var) of z1. */
  decoder2: tfl.LayersModel;
  /** p(x|z1): z1 → x, as the VAE's decoder. */
  decoder: tfl.LayersModel;
};

/** Standard normal noise of S joint draws per example; rows [jS, (j+1)S) belong to example j. */
export interface Noise {
  /** [b·S, latent]. */
  eps1: tf.Tensor2D;
  /** [b·S, latent2]. */
  eps2: tf.Tensor2D;
}

/** One joint draw z1 ~ q(z1|x), z2 ~ q(z2|z1) per row, with every density the bounds need. */
export interface Draws {
  /** [b·S, latent]. */
  z1: tf.Tensor2D;
  /** [b·S, latent2]. */
  z2: tf.Tensor2D;
  /** Parameters of q(z2|z1), [b·S, latent2]. */
  mu2: tf.Tensor2D;
  logVar2: tf.Tensor2D;
  /** Pre-activation decoder output at z1, [b·S, h·w·c]. */
  preact: tf.Tensor2D;
  /** Log-densities at the draw, [b·S] each. */
  logPx: tf.Tensor1D;
  logPz1: tf.Tensor1D;
  logPz2: tf.Tensor1D;
  logQz1: tf.Tensor1D;
  logQz2: tf.Tensor1D;
}

/** The noise logImportanceWeights and forward draw from `rng`: ε1 first, then ε2. */
export function drawNoise(config: Pick<HvaeConfig, 'latent' | 'latent2'>, batchSize: number, samples: number, rng: Rng): Noise {
  const rows = batchSize * samples;
  const eps1 = tf.randomNormal([rows, config.latent], 0, 1, 'float32', rng.seed()) as tf.Tensor2D;
  const eps2 = tf.randomNormal([rows, config.latent2], 0, 1, 'float32', rng.seed()) as tf.Tensor2D;
  return { eps1, eps2 };
}

/** An MLP from `inputSize` to the mean and log-variance of a diagonal Gaussian of `outputSize`. */
function gaussianMlp(name: string, inputSize: number, hidden: readonly number[], outputSize: number, activation: Activation, rng: Rng): tfl.LayersModel {
  const input = tfl.input({ shape: [inputSize], name: `${name}_input` });
  const h = denseStack(input, hidden, activation, name, rng);
  const outputs = [denseHead(h, outputSize, `${name}_mu`, rng), denseHead(h, outputSize, `${name}_log_var`, rng)];
  return tfl.model({ inputs: input, outputs, name });
}

export class Hvae extends Vae<HvaeConfig> {
  declare readonly networks: HvaeNetworks;

  constructor(config: HvaeConfig, networks: HvaeNetworks) {
    super(config, networks);
  }

  static buildNetworks(config: HvaeConfig, rng: Rng): HvaeNetworks {
    // The x ↔ z1 pair is the VAE's.
    const { encoder, decoder } = Vae.create(config, rng);
    const encoder2 = gaussianMlp('encoder2', config.latent, config.hidden2, config.latent2, config.activation, rng);
    const decoder2 = gaussianMlp('decoder2', config.latent2, [...config.hidden2].reverse(), config.latent, config.activation, rng);
    return { encoder, encoder2, decoder2, decoder };
  }

  /** q(z2|z1): mean and log σ², [rows, latent2]. */
  posterior2(z1: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mu, logVar] = this.networks.encoder2.apply(z1) as tf.Tensor2D[];
    return { mu, logVar };
  }

  /** p(z1|z2): mean and log σ², [rows, latent]. */
  prior1(z2: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mu, logVar] = this.networks.decoder2.apply(z2) as tf.Tensor2D[];
    return { mu, logVar };
  }

  /** S joint draws per example from the given noise, and their log-densities (call inside a tidy); `args` as the VAE's. */
  jointDraws(batch: Batch, samples: number, noise: Noise, args: NetworkArgs = inference()): Draws {
    const q1 = this.posterior(batch, args);
    // [b, latent] → [b·S, latent]: every draw of an example sees its own q(z1|x).
    const mu1 = samples === 1 ? q1.mu : repeatRows(q1.mu, samples);
    const logVar1 = samples === 1 ? q1.logVar : repeatRows(q1.logVar, samples);
    const z1 = reparameterize(mu1, logVar1, noise.eps1) as tf.Tensor2D;
    const { mu: mu2, logVar: logVar2 } = this.posterior2(z1);
    const z2 = reparameterize(mu2, logVar2, noise.eps2) as tf.Tensor2D;
    const p1 = this.prior1(z2);
    const { preact, logVar: pixelLogVar } = this.decodeRaw(z1, undefined, args);
    return {
      z1,
      z2,
      mu2,
      logVar2,
      preact,
      logPx: tf.neg(this.reconstructionNll(preact, batch.x, pixelLogVar, samples)),
      logPz1: logNormalDiag(z1, p1.mu, p1.logVar) as tf.Tensor1D,
      logPz2: logStandardNormal(z2) as tf.Tensor1D,
      logQz1: logNormalDiag(z1, mu1, logVar1) as tf.Tensor1D,
      logQz2: logNormalDiag(z2, mu2, logVar2) as tf.Tensor1D,
    };
  }

  override forward(batch: Batch, ctx: ForwardContext): ModelOutput {
    return tf.tidy(() => {
      const d = this.jointDraws(batch, 1, drawNoise(this.config, batch.x.shape[0], 1, ctx.rng), networkArgs(this.config, ctx));
      const recon = tf.neg(tf.mean(d.logPx)) as tf.Scalar;
      // Monte Carlo: p(z1|z2) has no closed-form KL against q(z1|x) once z2 is drawn.
      const kl1 = tf.mean(tf.sub(d.logQz1, d.logPz1)) as tf.Scalar;
      const kl2 = tf.mean(klStandardNormal(d.mu2, d.logVar2)) as tf.Scalar;
      const kl = tf.add(kl1, kl2) as tf.Scalar;
      const loss = tf.add(recon, tf.mul(betaAt(this.config, ctx.epoch), kl)) as tf.Scalar;
      return { loss, terms: { recon, kl, kl1, kl2 }, z: d.z1, recon: this.outputOf(d.preact) };
    });
  }

  /** log p(x|z1) + log p(z1|z2) + log p(z2) − log q(z1|x) − log q(z2|z1) for S joint draws: [batch, S]. */
  override logImportanceWeights(batch: Batch, samples: number, rng: Rng): tf.Tensor2D {
    return tf.tidy(() => {
      const b = batch.x.shape[0];
      const d = this.jointDraws(batch, samples, drawNoise(this.config, b, samples, rng));
      const logJoint = tf.add(tf.add(d.logPx, d.logPz1), d.logPz2);
      const logQ = tf.add(d.logQz1, d.logQz2);
      return tf.reshape(tf.sub(logJoint, logQ), [b, samples]) as tf.Tensor2D; // [b·S] → [b, S]
    });
  }

  /** z1 ~ p(z1|z2) with its spread scaled by `temperature`, one draw per row of z2. */
  sampleZ1(z2: tf.Tensor2D, rng: Rng, temperature = 1): tf.Tensor2D {
    return tf.tidy(() => {
      const { mu, logVar } = this.prior1(z2);
      const eps = tf.randomNormal(mu.shape, 0, temperature, 'float32', rng.seed());
      return reparameterize(mu, logVar, eps) as tf.Tensor2D;
    });
  }

  /** Codes from the learned prior, ancestrally: z2 ~ N(0, T²I), then z1 ~ p(z1|z2) at temperature T. [n, latent]. */
  samplePrior(n: number, seed: number, temperature: number): tf.Tensor2D {
    return tf.tidy(() => {
      const rng = new Rng(seed);
      const z2 = tf.randomNormal([n, this.config.latent2], 0, temperature, 'float32', rng.seed()) as tf.Tensor2D;
      return this.sampleZ1(z2, rng, temperature);
    });
  }

  override trainableVariables(): tf.Variable[] {
    const { encoder, encoder2, decoder2, decoder } = this.networks;
    return variablesOf(encoder, encoder2, decoder2, decoder);
  }

  override dispose(): void {
    for (const net of Object.values(this.networks)) net.dispose();
  }
}
