/**
 * The vector-quantised autoencoder (VQ-VAE, van den Oord et al. 2017).
 *
 * The encoder's output z_e [b, latent] is cut into G groups of latent/G dims;
 * each group is replaced by its nearest vector of one shared codebook of K, so
 * an example is G discrete indices and the decoder sees z_q, their vectors.
 * Gradients pass the quantisation straight through (∂/∂z_e := ∂/∂z_q), and
 *   loss = recon + ‖sg[z_e] − e‖² (codebook) + β‖z_e − sg[e]‖² (commitment),
 * both squared distances summed over the latent dims like the reconstruction
 * over pixels. The batch's codebook perplexity is reported beside the terms.
 *
 * Generation: samplePrior draws G indices from the prior and returns their
 * codes. With --vq-prior independent the prior is each group's categorical
 * distribution of the indices seen in training (decayed running counts, a
 * saved weight of the codebook layer), groups independent, so a sample can
 * join the top of one digit to the bottom of another. With autoregressive it
 * is p(i_1) p(i_2|i_1) ··· p(i_G|i_<G), the masked network `prior` (prior.ts)
 * trained in the same steps on each batch's indices: its mean negative
 * log-likelihood is the loss term `prior`, which reaches only its own
 * weights (indices are discrete). (With --workers > 1, possible only with
 * --dead-codes keep, the counts are those of the main thread's shard.)
 *
 * Dead codes: codes the encoder stops choosing get no gradient and stay
 * unused; with --dead-codes reset (the default) every 100 training steps, and
 * at the first, the codes used less than about once lately restart at
 * encoder outputs of the batch. The first reset thus starts the whole
 * codebook at encoder outputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Rng } from '../../random.js';
import { Ae, type AeNetworks } from '../ae/model.js';
import { networkArgs, variablesOf } from '../shared/networks.js';
import type { Batch, ForwardContext, ModelOutput } from '../types.js';
import type { VqvaeConfig } from './config.js';
import { autoregressiveLogProb, buildIndexPrior, drawAutoregressive } from './prior.js';
import { codeCounts, drawIndices, lookupCodes, perplexity, quantisationTerms, straightThrough, VectorQuantizer } from './quantizer.js';

/** `prior` only with --vq-prior autoregressive (and in runs that predate the field, never). */
export type VqvaeNetworks = AeNetworks & { quantizer: LayersModel; prior?: LayersModel };

/** Name of the codebook layer inside the `quantizer` network. */
export const QUANTIZER_LAYER = 'vector_quantizer';

/** The `quantizer` network: z_e [latent] → z_q [latent], holding the codebook and the usage counts. */
export function buildQuantizer(config: VqvaeConfig, rng: Rng): LayersModel {
  const ze = tfl.input({ shape: [config.latent], name: 'z_e' });
  const layer = new VectorQuantizer({ codebookSize: config.codebookSize, groups: config.codeGroups, seed: rng.seed(), name: QUANTIZER_LAYER });
  return tfl.model({ inputs: ze, outputs: layer.apply(ze) as tfl.SymbolicTensor, name: 'quantizer' });
}

/** Training steps between checks for dead codes (with --dead-codes reset). */
export const RESET_EVERY = 100;

export class Vqvae extends Ae<VqvaeConfig> {
  override readonly generative = true;
  readonly quantizer: VectorQuantizer;
  readonly singleThreadTraining?: string;
  /** Training steps taken by this instance (a resumed run counts afresh, so it checks for dead codes at once). */
  private trainingSteps = 0;

  constructor(config: VqvaeConfig, override readonly networks: VqvaeNetworks) {
    super(config, networks);
    this.quantizer = networks.quantizer.getLayer(QUANTIZER_LAYER) as VectorQuantizer;
    // Each replica would reset codes from its own shard, and their codebooks would drift apart.
    if (config.deadCodes === 'reset') this.singleThreadTraining = 'dead-code resets ({{deadCodes}} reset) change the codebook outside the optimizer';
  }

  static override buildNetworks(config: VqvaeConfig, rng: Rng): VqvaeNetworks {
    const networks: VqvaeNetworks = { ...Ae.buildNetworks(config, rng), quantizer: buildQuantizer(config, rng) };
    // Built last, so an independent-prior model draws the same initial weights as before the field existed.
    if (config.vqPrior === 'autoregressive') networks.prior = buildIndexPrior(config.codeGroups, config.codebookSize, rng.seed());
    return networks;
  }

  override forward(batch: Batch, ctx: ForwardContext): ModelOutput {
    return tf.tidy(() => {
      const args = networkArgs(this.config, ctx);
      const ze = this.encoderOutputs(batch.x, args)[0] as tf.Tensor2D;
      if (ctx.training) this.beforeTrainingStep(ze, ctx);
      const { indices, zq } = this.quantizer.quantise(ze);
      const z = straightThrough(ze, zq);
      const { perExample, output } = this.reconstructionLoss(this.decoderView.apply(z, args) as tf.Tensor2D, batch.x);
      const recon = tf.mean(perExample) as tf.Scalar;
      const { codebook, commitment } = quantisationTerms(ze, zq);
      const terms: Record<string, tf.Scalar> = { recon, codebook, commitment };
      if (this.networks.prior) terms.prior = tf.neg(tf.mean(autoregressiveLogProb(this.networks.prior, indices))) as tf.Scalar;
      const loss = tf.addN([recon, codebook, tf.mul(this.config.commitment, commitment), ...(terms.prior ? [terms.prior] : [])]) as tf.Scalar;
      const counts = codeCounts(indices, this.config.codebookSize); // [G, K]
      if (ctx.training) this.quantizer.recordUsage(counts);
      const usage = perplexity(tf.sum(counts, 0) as tf.Tensor1D);
      return { loss, terms, metrics: { perplexity: usage }, z, recon: output };
    });
  }

  /** Before the codebook is read: every RESET_EVERY training steps, starting with the first, reset the dead codes. */
  private beforeTrainingStep(ze: tf.Tensor2D, ctx: ForwardContext): void {
    if (this.config.deadCodes === 'reset' && this.trainingSteps % RESET_EVERY === 0) this.quantizer.resetDeadCodes(ze, ctx.rng.seed());
    this.trainingSteps++;
  }

  /** z_q: the quantised code the decoder sees (decode(encode(x)) is the reconstruction). */
  override encode(batch: Batch): tf.Tensor2D {
    return tf.tidy(() => this.quantizer.quantise(this.encoderOutputs(batch.x)[0] as tf.Tensor2D).zq);
  }

  /** The G codebook indices of each example, [b, G] int32. */
  codeIndices(batch: Batch): tf.Tensor2D {
    return tf.tidy(() => this.quantizer.quantise(this.encoderOutputs(batch.x)[0] as tf.Tensor2D).indices);
  }

  /**
   * log p(i) of indices [n, G] (int32) under the model's prior, [n] nats: the
   * network's for autoregressive; for independent, Σ_g log of group g's
   * training frequency of i_g (−∞ for a code the counts never saw).
   */
  logPriorOfIndices(indices: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      if (this.networks.prior) return autoregressiveLogProb(this.networks.prior, indices);
      const { codeGroups, codebookSize } = this.config;
      const usage = this.quantizer.usage(); // [G, K]
      const logFrequencies = tf.reshape(tf.sub(tf.log(usage), tf.log(tf.sum(usage, 1, true))), [-1]); // [G·K]
      // Gathered rather than picked with a one-hot product, where 0·(−∞) would be NaN.
      const offsets = tf.tensor1d(Array.from({ length: codeGroups }, (_, g) => g * codebookSize), 'int32');
      const flat = tf.add(indices, offsets); // [n, G]: g·K + i_g
      return tf.sum(tf.gather(logFrequencies, flat), 1) as tf.Tensor1D;
    });
  }

  /** Codes of indices drawn from the fitted prior, [n, latent]. */
  samplePrior(n: number, seed: number, temperature: number): tf.Tensor2D {
    return tf.tidy(() => {
      const { codeGroups, latent } = this.config;
      const { prior } = this.networks;
      const indices = prior ? drawAutoregressive(prior, n, seed, temperature) : drawIndices(this.quantizer.usage().dataSync() as Float32Array, codeGroups, n, seed, temperature);
      const codes = lookupCodes(tf.tensor1d(indices, 'int32'), this.quantizer.codebook()); // [n·G, d]
      return tf.reshape(codes, [n, latent]) as tf.Tensor2D;
    });
  }

  override trainableVariables(): tf.Variable[] {
    const { encoder, decoder, quantizer, prior } = this.networks;
    return variablesOf(encoder, decoder, quantizer, ...(prior ? [prior] : []));
  }

  override dispose(): void {
    super.dispose();
    this.networks.quantizer.dispose();
    this.networks.prior?.dispose();
  }
}
