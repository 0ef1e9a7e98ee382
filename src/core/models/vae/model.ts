/**
 * The variational autoencoder (Kingma & Welling, 2014).
 *
 * q(z|x) = N(μ(x), diag σ²(x)); z = μ + σ·ε with ε ~ N(0, I), so gradients
 * reach μ and log σ² through the sample; the loss is the negative ELBO,
 * reconstruction NLL + β·KL(q(z|x) ‖ N(0, I)).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { bceWithLogits, gaussianNll, klStandardNormal, logNormalDiag, logStandardNormal, repeatRows, sumSquaredError } from '../../losses/index.js';
import type { Rng } from '../../random.js';
import { recordingGradients } from '../shared/layers.js';
import { buildDecoder, buildEncoder, decoderTrainingView, inference, networkArgs, variablesOf, type NetworkArgs } from '../shared/networks.js';
import type { Autoencoder, Batch, ForwardContext, ModelOutput, Likelihood } from '../types.js';
import type { VaeConfig } from './config.js';

/** z = μ + exp(½ log σ²)·ε. */
export function reparameterize(mu: tf.Tensor, logVar: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps)));
}

/** β at a (fractional) epoch: linear warm-up from 0 over `klWarmup` epochs. */
export function betaAt(config: Pick<VaeConfig, 'beta' | 'klWarmup'>, epoch: number): number {
  if (config.klWarmup <= 0) return config.beta;
  return config.beta * Math.min(1, epoch / config.klWarmup);
}

export class Vae<C extends VaeConfig = VaeConfig> implements Autoencoder<C> {
  readonly generative = true;
  readonly conditional: boolean = false;
  readonly likelihood: Likelihood;
  /** Decoder up to its pre-activation (logits), sharing weights with `decoder`. */
  private readonly decoderView: LayersModel;

  constructor(
    readonly config: C,
    readonly networks: { encoder: LayersModel; decoder: LayersModel },
  ) {
    this.decoderView = decoderTrainingView(networks.decoder);
    // The Keras book's weighted MSE on sigmoid outputs is a squared error too.
    this.likelihood = config.decoder === 'bernoulli' && config.reconWeight === null ? 'bernoulli' : 'gaussian';
  }

  static create<C extends VaeConfig>(config: C, rng: Rng, conditionSize = 0): { encoder: LayersModel; decoder: LayersModel } {
    const output = config.decoder === 'gaussian' ? 'linear' : 'sigmoid';
    const encoder = buildEncoder(config, { heads: [{ name: 'mu', units: config.latent }, { name: 'log_var', units: config.latent }], conditionSize }, rng);
    const decoder = buildDecoder(config, { output, conditionSize, learnedLogVariance: config.sigma === 'learned' }, rng);
    return { encoder, decoder };
  }

  /** Extra network inputs beside x or z (the one-hot label of a conditional VAE). */
  protected conditions(_labels?: tf.Tensor1D): tf.Tensor[] {
    return [];
  }

  /** μ and log σ² of q(z|x); `args` says whether the encoder runs as in training (batch statistics, dropout). */
  posterior(batch: Batch, args: NetworkArgs = inference()): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mu, logVar] = this.networks.encoder.apply([batch.x, ...this.conditions(batch.labels)], args) as tf.Tensor2D[];
    return { mu, logVar };
  }

  /** Pre-activation decoder output and, for a learned-σ decoder, log σ². */
  protected decodeRaw(z: tf.Tensor2D, labels?: tf.Tensor1D, args: NetworkArgs = inference()): { preact: tf.Tensor2D; logVar?: tf.Tensor2D } {
    const out = this.decoderView.apply([z, ...this.conditions(labels)], args);
    if (Array.isArray(out)) return { preact: out[0] as tf.Tensor2D, logVar: out[1] as tf.Tensor2D };
    return { preact: out as tf.Tensor2D };
  }

  /**
   * −log p(x|z) per example (or the weighted MSE of the Keras book). With
   * `repeat` S, rows [jS, (j+1)S) of preact are scored against row j of x.
   */
  protected reconstructionNll(preact: tf.Tensor2D, x: tf.Tensor2D, logVar?: tf.Tensor2D, repeat = 1): tf.Tensor1D {
    const { decoder, sigma, reconWeight } = this.config;
    if (decoder === 'bernoulli' && reconWeight === null) return bceWithLogits(preact, x, { targetRepeat: repeat });
    const target = repeat === 1 ? x : repeatRows(x, repeat);
    if (decoder === 'bernoulli') return tf.div(sumSquaredError(tf.sigmoid(preact), target), x.shape[1]) as tf.Tensor1D;
    const lv = logVar ?? tf.scalar(Math.log((sigma as number) ** 2));
    return gaussianNll(preact, lv, target);
  }

  /** log p(z) per code, [n] for z [n, latent]: N(0, I) here; models with a learned prior override it. */
  protected logPrior(z: tf.Tensor2D): tf.Tensor1D {
    return logStandardNormal(z) as tf.Tensor1D;
  }

  /** The data-space output: the Bernoulli means σ(preact), or the Gaussian means. */
  protected outputOf(preact: tf.Tensor2D): tf.Tensor2D {
    return this.config.decoder === 'bernoulli' ? tf.sigmoid(preact) : preact;
  }

  /** One draw z = μ + σ·ε per example, decoded, with the mean reconstruction NLL (call inside a tidy). */
  protected drawAndDecode(batch: Batch, ctx: ForwardContext): { mu: tf.Tensor2D; logVar: tf.Tensor2D; z: tf.Tensor2D; preact: tf.Tensor2D; recon: tf.Scalar } {
    const args = networkArgs(this.config, ctx);
    const { mu, logVar } = this.posterior(batch, args);
    const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', ctx.rng.seed());
    const z = reparameterize(mu, logVar, eps) as tf.Tensor2D;
    const { preact, logVar: pixelLogVar } = this.decodeRaw(z, batch.labels, args);
    const recon = tf.mean(this.reconstructionNll(preact, batch.x, pixelLogVar)) as tf.Scalar;
    return { mu, logVar, z, preact, recon };
  }

  forward(batch: Batch, ctx: ForwardContext): ModelOutput {
    return tf.tidy(() => {
      const { mu, logVar, z, preact, recon } = this.drawAndDecode(batch, ctx);
      const kl = tf.mean(klStandardNormal(mu, logVar)) as tf.Scalar;
      const reconWeight = this.config.reconWeight ?? 1;
      const loss = tf.add(tf.mul(reconWeight, recon), tf.mul(betaAt(this.config, ctx.epoch), kl)) as tf.Scalar;
      return { loss, terms: { recon, kl }, z, recon: this.outputOf(preact) };
    });
  }

  encode(batch: Batch): tf.Tensor2D {
    return tf.tidy(() => this.posterior(batch).mu);
  }

  decode(z: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => {
      const out = this.networks.decoder.apply([z, ...this.conditions(labels)], inference());
      return (Array.isArray(out) ? out[0] : out) as tf.Tensor2D;
    });
  }

  /** `args`: the networks run as in training when the IWAE trains on this bound; inference otherwise. */
  logImportanceWeights(batch: Batch, samples: number, rng: Rng, args: NetworkArgs = inference()): tf.Tensor2D {
    return tf.tidy(() => {
      const { mu, logVar } = this.posterior(batch, args);
      const [b, latent] = mu.shape;
      // [b, S, L]: S draws per example
      const eps = tf.randomNormal([b, samples, latent], 0, 1, 'float32', rng.seed());
      // μ and log σ² over the S draws: broadcast from [b, 1, L] (the same values, element by
      // element), but repeated to [b, S, L] while training on this bound (iwae), since
      // TensorFlow.js's squaredDifference gradient does not reduce a broadcast input.
      const repeat = recordingGradients();
      const overDraws = (t: tf.Tensor2D) => (repeat ? tf.tile(tf.expandDims(t, 1), [1, samples, 1]) : tf.expandDims(t, 1));
      const [muS, logVarS] = [overDraws(mu), overDraws(logVar)];
      const z = reparameterize(muS, logVarS, eps);
      const logQ = logNormalDiag(z, muS, logVarS); // [b, S]
      const flatZ = tf.reshape(z, [b * samples, latent]) as tf.Tensor2D; // row i·S + s is draw s of example i
      const logPz = tf.reshape(this.logPrior(flatZ), [b, samples]);
      const labelsRep = batch.labels ? (tf.reshape(tf.tile(tf.expandDims(batch.labels, 1), [1, samples]), [-1]) as tf.Tensor1D) : undefined;
      const { preact, logVar: pixelLogVar } = this.decodeRaw(flatZ, labelsRep, args);
      const logPx = tf.neg(this.reconstructionNll(preact, batch.x, pixelLogVar, samples)); // [b·S]
      return tf.add(tf.reshape(logPx, [b, samples]), tf.sub(logPz, logQ)) as tf.Tensor2D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return variablesOf(this.networks.encoder, this.networks.decoder);
  }

  dispose(): void {
    this.networks.encoder.dispose();
    this.networks.decoder.dispose();
  }
}
