/**
 * A VAE with two stochastic layers (Burda, Grosse & Salakhutdinov, 2016:
 * the bottom-up inference of their two-layer models, not the ladder variant).
 *
 *   generative  p(z2) = N(0, I),  p(z1|z2) = N(μ_p(z2), diag σ_p²(z2)),  p(x|z1) as the VAE's decoder
 *   inference   q(z1|x) = N(μ1(x), diag σ1²(x)),  q(z2|z1) = N(μ2(z1), diag σ2²(z1))
 *
 * The code z of the contract (size `latent`) is the top layer z2: encode(x)
 * is the mean of q(z2|z1 = E[z1|x]) and decode(z2) the mean of p(x|z1) at
 * z1 = E[z1|z2], so maps, search and interpolation work in z2 and samplers
 * that decode z2 ~ N(0, I) follow the generative order.
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
import type { Rng } from '../../random.js';
import { denseHead, denseStack } from '../shared/mlp.js';
import { variablesOf } from '../shared/networks.js';
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
  /** [b·S, latent1]. */
  eps1: tf.Tensor2D;
  /** [b·S, latent]. */
  eps2: tf.Tensor2D;
}

/** One joint draw z1 ~ q(z1|x), z2 ~ q(z2|z1) per row, with every density the bounds need. */
export interface Draws {
  /** [b·S, latent1]. */
  z1: tf.Tensor2D;
  /** [b·S, latent]. */
  z2: tf.Tensor2D;
  /** Parameters of q(z2|z1), [b·S, latent]. */
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
export function drawNoise(config: Pick<HvaeConfig, 'latent' | 'latent1'>, batchSize: number, samples: number, rng: Rng): Noise {
  const rows = batchSize * samples;
  const eps1 = tf.randomNormal([rows, config.latent1], 0, 1, 'float32', rng.seed()) as tf.Tensor2D;
  const eps2 = tf.randomNormal([rows, config.latent], 0, 1, 'float32', rng.seed()) as tf.Tensor2D;
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
    // The x ↔ z1 pair is a VAE whose code is z1.
    const { encoder, decoder } = Vae.create({ ...config, latent: config.latent1 }, rng);
    const encoder2 = gaussianMlp('encoder2', config.latent1, config.hidden2, config.latent, config.activation, rng);
    const decoder2 = gaussianMlp('decoder2', config.latent, [...config.hidden2].reverse(), config.latent1, config.activation, rng);
    return { encoder, encoder2, decoder2, decoder };
  }

  /** q(z2|z1): mean and log σ², [rows, latent]. */
  posterior2(z1: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mu, logVar] = this.networks.encoder2.apply(z1) as tf.Tensor2D[];
    return { mu, logVar };
  }

  /** p(z1|z2): mean and log σ², [rows, latent1]. */
  prior1(z2: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mu, logVar] = this.networks.decoder2.apply(z2) as tf.Tensor2D[];
    return { mu, logVar };
  }

  /** S joint draws per example from the given noise, and their log-densities (call inside a tidy). */
  jointDraws(batch: Batch, samples: number, noise: Noise): Draws {
    const q1 = this.posterior(batch);
    // [b, latent1] → [b·S, latent1]: every draw of an example sees its own q(z1|x).
    const mu1 = samples === 1 ? q1.mu : repeatRows(q1.mu, samples);
    const logVar1 = samples === 1 ? q1.logVar : repeatRows(q1.logVar, samples);
    const z1 = reparameterize(mu1, logVar1, noise.eps1) as tf.Tensor2D;
    const { mu: mu2, logVar: logVar2 } = this.posterior2(z1);
    const z2 = reparameterize(mu2, logVar2, noise.eps2) as tf.Tensor2D;
    const p1 = this.prior1(z2);
    const { preact, logVar: pixelLogVar } = this.decodeRaw(z1);
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
      const d = this.jointDraws(batch, 1, drawNoise(this.config, batch.x.shape[0], 1, ctx.rng));
      const recon = tf.neg(tf.mean(d.logPx)) as tf.Scalar;
      // Monte Carlo: p(z1|z2) has no closed-form KL against q(z1|x) once z2 is drawn.
      const kl1 = tf.mean(tf.sub(d.logQz1, d.logPz1)) as tf.Scalar;
      const kl2 = tf.mean(klStandardNormal(d.mu2, d.logVar2)) as tf.Scalar;
      const kl = tf.add(kl1, kl2) as tf.Scalar;
      const loss = tf.add(recon, tf.mul(betaAt(this.config, ctx.epoch), kl)) as tf.Scalar;
      return { loss, terms: { recon, kl, kl1, kl2 }, z: d.z2, recon: this.outputOf(d.preact) };
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

  /** The mean of q(z2|z1) at z1 = the mean of q(z1|x). */
  override encode(batch: Batch): tf.Tensor2D {
    return tf.tidy(() => this.posterior2(this.posterior(batch).mu).mu);
  }

  /** The mean of p(x|z1) at z1 = the mean of p(z1|z2). */
  override decode(z2: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => super.decode(this.prior1(z2).mu));
  }

  /** z1 ~ p(z1|z2), one draw per row of z2. */
  sampleZ1(z2: tf.Tensor2D, rng: Rng): tf.Tensor2D {
    return tf.tidy(() => {
      const { mu, logVar } = this.prior1(z2);
      return reparameterize(mu, logVar, tf.randomNormal(mu.shape, 0, 1, 'float32', rng.seed())) as tf.Tensor2D;
    });
  }

  /** Ancestral draws z2 ~ N(0, I), z1 ~ p(z1|z2), and x̄ = the mean of p(x|z1). */
  sampleAncestral(n: number, rng: Rng): { z2: tf.Tensor2D; z1: tf.Tensor2D; x: tf.Tensor2D } {
    return tf.tidy(() => {
      const z2 = tf.randomNormal([n, this.config.latent], 0, 1, 'float32', rng.seed()) as tf.Tensor2D;
      const z1 = this.sampleZ1(z2, rng);
      return { z2, z1, x: super.decode(z1) };
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
