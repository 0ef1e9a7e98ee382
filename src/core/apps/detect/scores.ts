/**
 * Per-example anomaly scores, through the model contract only (encode, decode,
 * logImportanceWeights), so every registered model can be a detector:
 *   recon  reconstruction loss of decode(encode(x)): binary cross-entropy summed
 *          over pixels for [0, 1] data with a sigmoid decoder, squared error
 *          summed over features otherwise (tables, linear/gaussian decoders);
 *   elbo   −(1/K) Σ_k log w_k, the negative ELBO estimated from K draws;
 *   iwae   −log((1/K) Σ_k w_k), the negative IWAE bound: like −ELBO an upper bound on
 *          −log p(x), but a tighter one (Burda et al., 2016).
 * A higher score means more anomalous.
 */
import * as tf from '@tensorflow/tfjs-core';
import { forEachBatch } from '../../data/batches.js';
import type { Dataset } from '../../data/types.js';
import { FieldError, UsageError } from '../../errors.js';
import { SCORE_KINDS } from '../../requests/jobs.js';
import { batchBounds } from '../../eval/iwae.js';
import type { Autoencoder, Batch } from '../../models/types.js';
import { Rng } from '../../random.js';

export { SCORE_KINDS };
export type ScoreKind = (typeof SCORE_KINDS)[number];

/** How the reconstruction error is measured. */
export type ReconMeasure = 'bce' | 'squared-error';

export interface ScoreSettings {
  kind: ScoreKind;
  /** Importance samples K for elbo and iwae (ignored by recon). */
  samples: number;
  /** Seed of the z draws, so the same settings give the same scores. */
  seed: number;
  /** recon only: how the error is measured (see {@link reconMeasureFor}). */
  measure: ReconMeasure;
}

/** Importance samples when --iwae is not given. */
export const DEFAULT_SAMPLES = 64;

/** Samples decoded at once per example for elbo/iwae; bounds memory at batch × chunk × features. */
const SAMPLE_CHUNK = 64;

/** Probabilities are clipped to [ε, 1 − ε] before the log (the decoder's logits are not part of the contract). */
const BCE_EPS = 1e-6;

/** The reconstruction error that is the model's own likelihood: BCE for Bernoulli, squared error for Gaussian. */
export function reconMeasureFor(model: Pick<Autoencoder, 'likelihood'>): ReconMeasure {
  return model.likelihood === 'bernoulli' ? 'bce' : 'squared-error';
}

/** Complete and check score settings for a model; refuses elbo/iwae on a model without q(z|x). */
export function resolveScoreSettings(model: Autoencoder, input: { kind?: ScoreKind; samples?: number; seed?: number }): ScoreSettings {
  const kind = input.kind ?? 'recon';
  if (!SCORE_KINDS.includes(kind)) throw new FieldError('score', `must be one of ${SCORE_KINDS.join(', ')}, got '${String(kind)}'`);
  if (kind !== 'recon' && !model.logImportanceWeights) {
    throw new FieldError('score', `${kind} needs a latent-variable model (vae family); '${model.config.model}' has no q(z|x), use recon`);
  }
  const samples = input.samples ?? DEFAULT_SAMPLES;
  if (!Number.isInteger(samples) || samples < 1) throw new FieldError('iwae', `must be a positive integer, got ${samples}`);
  return { kind, samples, seed: input.seed ?? 0, measure: reconMeasureFor(model) };
}

/** Reconstruction error of each row of the batch, [b]. */
function reconScores(model: Autoencoder, batch: Batch, measure: ReconMeasure): Float32Array {
  return tf.tidy(() => {
    const output = model.decode(model.encode(batch), batch.labels); // [b, features]
    const x = batch.x;
    if (measure === 'squared-error') return tf.sum(tf.squaredDifference(output, x), 1).dataSync() as Float32Array;
    const p = tf.clipByValue(output, BCE_EPS, 1 - BCE_EPS);
    const perFeature = tf.neg(tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p)))));
    return tf.sum(perFeature, 1).dataSync() as Float32Array;
  });
}

/** −ELBO or −IWAE of each row of the batch from K log importance weights, [b]. */
function boundScores(model: Autoencoder, batch: Batch, settings: ScoreSettings, rng: Rng): Float64Array {
  const bounds = batchBounds(model, batch, settings.samples, SAMPLE_CHUNK, rng);
  return (settings.kind === 'elbo' ? bounds.elbo : bounds.iwae).map((v) => -v);
}

/**
 * A scorer that keeps its random stream across batches: feeding the batches of
 * a dataset in order gives the same scores as {@link scoreDataset}.
 */
export function createScorer(model: Autoencoder, settings: ScoreSettings): (batch: Batch) => Float64Array {
  const rng = new Rng(settings.seed);
  return (batch) => {
    const scores = settings.kind === 'recon' ? Float64Array.from(reconScores(model, batch, settings.measure)) : boundScores(model, batch, settings, rng);
    for (let i = 0; i < scores.length; i++) {
      if (!Number.isFinite(scores[i])) throw new UsageError(`anomaly score of example ${i} in a batch is ${scores[i]}; the model or data produce non-finite values`);
    }
    return scores;
  };
}

/** The anomaly score of every example of `ds`, in order; `onProgress` hears after each batch. */
export function scoreDataset(model: Autoencoder, ds: Dataset, settings: ScoreSettings, batchSize = defaultBatchSize(settings), onProgress?: (done: number, total: number) => void): Float64Array {
  const scorer = createScorer(model, settings);
  const scores = new Float64Array(ds.n);
  forEachBatch(ds, batchSize, (batch, start, end) => {
    scores.set(scorer(batch), start);
    onProgress?.(end, ds.n);
  });
  return scores;
}

/** Rows per batch: large for a single pass, smaller when each row is decoded K times. */
export function defaultBatchSize(settings: Pick<ScoreSettings, 'kind' | 'samples'>): number {
  return settings.kind === 'recon' ? 1000 : Math.max(1, Math.floor(16_000 / Math.min(SAMPLE_CHUNK, settings.samples)));
}
