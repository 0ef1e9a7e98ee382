/**
 * The contract every model in latentkit follows (after Pythae): an encoder, a
 * code step, a decoder and a loss made of named terms. The trainer, the
 * evaluator and the CLI only ever see these types.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { z } from 'zod';
import type { Rng } from '../random.js';
import type { Dataset } from '../data/types.js';

export const ACTIVATIONS = ['relu', 'leaky-relu', 'tanh', 'sigmoid', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const ARCHITECTURES = ['mlp', 'conv'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** What a model needs to know about the data it will see. */
export interface DataInfo {
  /** [height, width, channels]. */
  shape: [number, number, number];
  numClasses: number;
  /**
   * What values x takes: 'unit' (intensities in [0, 1], the default) or
   * 'real' (e.g. standardized table columns), where Bernoulli/BCE losses are wrong.
   */
  domain?: 'unit' | 'real';
  /** Training examples, for estimators that weight a minibatch against the whole set (β-TCVAE). */
  examples?: number;
}

/** p(x|z) as the reconstruction term sees it. */
export type Likelihood = 'bernoulli' | 'gaussian';

/** Fields every model's config has; each model extends it with its own. */
export interface CommonConfig {
  /** Registry name of the model (`vae`, `ae`, ...). */
  model: string;
  arch: Architecture;
  inputShape: [number, number, number];
  numClasses: number;
  /** Hidden layer widths of the encoder; the decoder mirrors them. */
  hidden: number[];
  latent: number;
  activation: Activation;
  /** `--arch conv` only: filters of the encoder's stride-2 convolutions (the decoder mirrors them); absent in older runs, which used 32,64. */
  convFilters?: number[];
  /** `--arch conv` only: batch normalisation after each convolution but the decoder's last. */
  batchNorm?: boolean;
  /** `--arch conv` only: dropout rate after each convolution but the decoder's last, while training. */
  dropout?: number;
}

/** A mini-batch. Images are always flattened: x is [batch, h·w·c] in [0, 1]. */
export interface Batch {
  x: tf.Tensor2D;
  /** Integer class labels, [batch], when the dataset has them. */
  labels?: tf.Tensor1D;
}

export interface ForwardContext {
  training: boolean;
  /** Epochs completed before this step plus the fraction of the current one (for warm-ups). */
  epoch: number;
  rng: Rng;
}

/** What every model's forward pass returns. All scalars are per-example means. */
export interface ModelOutput {
  /** The objective the optimizer minimizes. */
  loss: tf.Scalar;
  /** Named parts of the objective (`recon`, `kl`, `sparsity`, ...), unweighted. */
  terms: Record<string, tf.Scalar>;
  /**
   * Diagnostics that are not part of the objective (a codebook's perplexity).
   * They are averaged and reported like the terms (train_<name>, test_<name>
   * in metrics.jsonl) but never enter the loss.
   */
  metrics?: Record<string, tf.Scalar>;
  /** The code the decoder received, [batch, latent]. */
  z: tf.Tensor2D;
  /** Reconstruction in data space, [batch, h·w·c]. */
  recon: tf.Tensor2D;
}

export interface Autoencoder<C extends CommonConfig = CommonConfig> {
  readonly config: C;
  /** The networks saved under `model/<name>/` in TensorFlow.js format. */
  readonly networks: Readonly<Record<string, LayersModel>>;
  /** Whether decoding z ~ N(0, I) is meaningful (VAE family). */
  readonly generative: boolean;
  /** Whether the model needs labels (conditional models). */
  readonly conditional: boolean;
  /**
   * The likelihood of its reconstruction term: 'bernoulli' (binary
   * cross-entropy of a sigmoid output) or 'gaussian' (squared error). Anomaly
   * scores measure reconstruction error the same way.
   */
  readonly likelihood: Likelihood;
  /**
   * Set (to the reason) when a training step changes weights outside the
   * optimizer, as a codebook's dead-code resets do: data-parallel replicas
   * would drift apart, so training runs on one thread.
   */
  readonly singleThreadTraining?: string;
  forward(batch: Batch, ctx: ForwardContext): ModelOutput;
  /** The deterministic code of x: μ for VAEs, the code layer for autoencoders. [batch, latent]. */
  encode(batch: Batch): tf.Tensor2D;
  /** Data-space output for codes z: [batch, h·w·c]. */
  decode(z: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor2D;
  /**
   * For latent-variable models: log p(x|z_k) + log p(z_k) − log q(z_k|x) for
   * `samples` draws z_k ~ q(z|x), shape [batch, samples]. Used for IWAE.
   */
  logImportanceWeights?(batch: Batch, samples: number, rng: Rng): tf.Tensor2D;
  /**
   * Codes drawn from the model's prior, [n, latent], at temperature T (the
   * prior's spread scaled by T). Without it a generative model's prior is
   * N(0, I); models with a learned prior (a mixture, a prior over codebook
   * indices) draw from it here, and every sampler goes through this.
   */
  samplePrior?(n: number, seed: number, temperature: number): tf.Tensor2D;
  /**
   * A fresh run only, right after `create`: set initial weights from training
   * examples where the model starts from data (a VampPrior's pseudo-inputs as
   * training images).
   */
  initialiseFromData?(data: Dataset, rng: Rng): void;
  /** Every trainable variable, in a fixed order (optimizer state relies on it). */
  trainableVariables(): tf.Variable[];
  dispose(): void;
}

/** What the registry holds for each model: its config handling and constructors. */
export interface ModelDefinition<C extends CommonConfig = CommonConfig> {
  name: string;
  summary: string;
  /**
   * The model's own settings, one schema field each (range, default, help);
   * the shared ones (hidden, latent, ...) are COMMON_FIELDS. A field name
   * another model also uses must be the same field (the registry checks).
   */
  options: z.ZodObject;
  /**
   * Settings that make a small valid instance when the defaults alone are not
   * valid (e.g. a sparse autoencoder needs --k or --sparsity). The conformance
   * suite and the docs use it.
   */
  exampleInput?: Record<string, unknown>;
  /** Check and complete a user's settings; throws UsageError on a bad combination. */
  resolveConfig(input: Record<string, unknown>, data: DataInfo): C;
  /** A freshly initialised model. */
  create(config: C, rng: Rng): Autoencoder<C>;
  /** A model around networks loaded from a run folder. */
  restore(config: C, networks: Record<string, LayersModel>): Autoencoder<C>;
}
