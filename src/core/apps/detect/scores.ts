/**
 * Per-example anomaly scores, through the model contract only (encode, decode,
 * logImportanceWeights), so every registered model can be a detector:
 *   recon  reconstruction loss of decode(encode(x)): binary cross-entropy summed
 *          over pixels for [0, 1] data with a sigmoid decoder, squared error
 *          summed over features otherwise (tables, linear/gaussian decoders);
 *   elbo   −(1/K) Σ_k log w_k, the negative ELBO estimated from K draws;
 *   iwae   −log((1/K) Σ_k w_k), the negative IWAE bound: like −ELBO an upper bound on
 *          −log p(x), but a tighter one (Burda et al., 2016);
 *   recon-code  the reconstruction error plus the squared Mahalanobis distance
 *          of the code encode(x) under a Gaussian fitted to the calibration
 *          codes, each standardized by its mean and standard deviation over
 *          the calibration rows (a latent density beside the error, in the
 *          spirit of DAGMM, Zong et al., 2018). Reconstruction error alone
 *          misses anomalies that lie along the directions the code keeps
 *          (extreme values of a feature the code represents well); the code's
 *          distance catches those, the error catches the rest.
 * A higher score means more anomalous.
 */
import * as tf from '@tensorflow/tfjs-core';
import { forEachBatch } from '../../data/batches.js';
import type { Dataset } from '../../data/types.js';
import { FieldError, UsageError } from '../../errors.js';
import { BOUND_SCORES, SCORE_KINDS } from '../../requests/jobs.js';
import { batchBounds } from '../../eval/iwae.js';
import { fitPca } from '../../eval/metrics/pca.js';
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
  /** recon and recon-code: how the error is measured (see {@link reconMeasureFor}). */
  measure: ReconMeasure;
  /** recon-code only: what calibration fitted (see {@link fitCodeDensity}). */
  code?: CodeDensity;
}

/** Mean and standard deviation of one part of a score over the calibration rows. */
export interface Standardizer {
  mean: number;
  sd: number;
}

/**
 * The Gaussian of the calibration codes, in its eigenbasis (the covariance is
 * Σ_c variances[c]·u_c u_cᵀ, u_c the rows of `components`, latent × latent),
 * and how each part of the recon-code score is standardized.
 */
export interface CodeDensity {
  mean: number[];
  components: number[];
  variances: number[];
  recon: Standardizer;
  distance: Standardizer;
}

/** Score kinds whose settings are fitted on the calibration data before scoring. */
export const FITTED_SCORES: readonly ScoreKind[] = ['recon-code'];

/**
 * Code directions with less variance than this fraction of the largest are
 * floored to it: a unit that hardly varies on normal data (a dead unit, or a
 * code with more units than the data has dimensions) would otherwise turn
 * rounding noise into huge distances.
 */
const VARIANCE_FLOOR = 1e-6;

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
  if (BOUND_SCORES.includes(kind) && !model.logImportanceWeights) {
    throw new FieldError('score', `${kind} needs a latent-variable model (vae family); '${model.config.model}' has no q(z|x), use recon`);
  }
  const samples = input.samples ?? DEFAULT_SAMPLES;
  if (!Number.isInteger(samples) || samples < 1) throw new FieldError('iwae', `must be a positive integer, got ${samples}`);
  return { kind, samples, seed: input.seed ?? 0, measure: reconMeasureFor(model) };
}

/** Reconstruction error of each row of the batch, [b], and the codes, [b · latent] row-major. */
function reconAndCodes(model: Autoencoder, batch: Batch, measure: ReconMeasure): { errors: Float64Array; codes: Float32Array } {
  const { errors, codes } = tf.tidy(() => {
    const code = model.encode(batch); // [b, latent]
    const output = model.decode(code, batch.labels); // [b, features]
    const x = batch.x;
    const p = tf.clipByValue(output, BCE_EPS, 1 - BCE_EPS);
    const perFeature = measure === 'squared-error' ? tf.squaredDifference(output, x) : tf.neg(tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p)))));
    return { errors: tf.sum(perFeature, 1).dataSync() as Float32Array, codes: code.dataSync() as Float32Array };
  });
  return { errors: Float64Array.from(errors), codes };
}

/** Squared Mahalanobis distance of each code (n × latent) under the fitted Gaussian, [n]. */
export function codeDistances(codes: ArrayLike<number>, n: number, density: Pick<CodeDensity, 'mean' | 'components' | 'variances'>): Float64Array {
  const k = density.mean.length;
  const out = new Float64Array(n);
  const centered = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) centered[j] = codes[i * k + j]! - density.mean[j]!;
    let d2 = 0;
    for (let c = 0; c < density.variances.length; c++) {
      let dot = 0;
      for (let j = 0; j < k; j++) dot += centered[j]! * density.components[c * k + j]!;
      d2 += (dot * dot) / density.variances[c]!;
    }
    out[i] = d2;
  }
  return out;
}

function standardizerOf(values: Float64Array): Standardizer {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  // Constant values (one row, or a degenerate part) are left unscaled.
  return { mean, sd: variance > 0 ? Math.sqrt(variance) : 1 };
}

/**
 * Fit the recon-code score on calibration data: the Gaussian of its codes
 * (population covariance, in its eigenbasis) and the mean and standard
 * deviation of both parts of the score over those rows.
 */
export function fitCodeDensity(model: Autoencoder, ds: Dataset, measure: ReconMeasure, batchSize = 1000): CodeDensity {
  const errors = new Float64Array(ds.n);
  let codes: Float64Array | undefined;
  let latent = 0;
  forEachBatch(ds, batchSize, (batch, start, end) => {
    const part = reconAndCodes(model, batch, measure);
    latent = part.codes.length / (end - start);
    codes ??= new Float64Array(ds.n * latent);
    errors.set(part.errors, start);
    codes.set(part.codes, start * latent);
  });
  const pca = fitPca(codes!, ds.n, latent, latent);
  const top = Math.max(0, ...pca.explainedVariance);
  // All codes equal: no direction to measure along, every distance is 0.
  const floor = top > 0 ? top * VARIANCE_FLOOR : 1;
  const gaussian = { mean: Array.from(pca.mean), components: Array.from(pca.components), variances: Array.from(pca.explainedVariance, (v) => Math.max(v, floor)) };
  return { ...gaussian, recon: standardizerOf(errors), distance: standardizerOf(codeDistances(codes!, ds.n, gaussian)) };
}

/** Complete settings that need the calibration data (recon-code: its code density); others unchanged. */
export function fitScoreSettings(model: Autoencoder, ds: Dataset, settings: ScoreSettings): ScoreSettings {
  return settings.kind === 'recon-code' ? { ...settings, code: fitCodeDensity(model, ds, settings.measure) } : settings;
}

/** recon-code of each row of the batch: standardized error plus standardized code distance, [b]. */
function reconCodeScores(model: Autoencoder, batch: Batch, settings: ScoreSettings): Float64Array {
  const density = settings.code;
  if (!density) throw new UsageError('the recon-code score has no fitted code density; calibrate the detector first (detect fit)');
  const { errors, codes } = reconAndCodes(model, batch, settings.measure);
  const distances = codeDistances(codes, errors.length, density);
  return errors.map((e, i) => (e - density.recon.mean) / density.recon.sd + (distances[i]! - density.distance.mean) / density.distance.sd);
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
  const scoreBatch: Record<ScoreKind, (batch: Batch) => Float64Array> = {
    recon: (batch) => reconAndCodes(model, batch, settings.measure).errors,
    'recon-code': (batch) => reconCodeScores(model, batch, settings),
    elbo: (batch) => boundScores(model, batch, settings, rng),
    iwae: (batch) => boundScores(model, batch, settings, rng),
  };
  return (batch) => {
    const scores = scoreBatch[settings.kind](batch);
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
  return !BOUND_SCORES.includes(settings.kind) ? 1000 : Math.max(1, Math.floor(16_000 / Math.min(SAMPLE_CHUNK, settings.samples)));
}
