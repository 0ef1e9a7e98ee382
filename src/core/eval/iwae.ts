/**
 * The importance-weighted estimate of log p(x) (Burda et al., 2016):
 *   log p̂_K(x) = log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x),  z_k ~ q(z|x).
 * The K log-weights of each example are streamed in chunks through a stable
 * log-sum-exp, so memory is bounded by batch × chunk × pixels whatever K is.
 */
import * as tf from '@tensorflow/tfjs-core';
import { forEachBatch } from '../data/batches.js';
import type { Dataset } from '../data/types.js';
import { FieldError } from '../errors.js';
import type { Autoencoder, Batch } from '../models/types.js';
import { Rng } from '../random.js';
import { StreamingLogSumExp } from './metrics/logsumexp.js';

export interface IwaeOptions {
  /** Importance samples per example (5000 is the literature's standard). */
  samples: number;
  /** Samples decoded at once per example. */
  chunk?: number;
  /** Examples per batch. */
  batchSize?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface IwaeResult {
  samples: number;
  /** log p̂_K(x) per example, nats. */
  logLikelihood: Float64Array;
  /** The ELBO estimated from the same K draws (mean log-weight) per example; ≤ logLikelihood always (Jensen). */
  elbo: Float64Array;
  meanLogLikelihood: number;
  meanElbo: number;
}

const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;

/** Per example of a batch: the IWAE bound log (1/K) Σ_k w_k and the ELBO estimate (1/K) Σ_k log w_k. */
export interface BatchBounds {
  iwae: Float64Array;
  elbo: Float64Array;
}

/**
 * Both bounds for each example of `batch` from K = `samples` draws, decoded
 * `chunk` at a time and folded into a streaming log-sum-exp, so memory stays
 * at batch × chunk × features whatever K is. `rng` carries on across calls.
 */
export function batchBounds(model: Autoencoder, batch: Batch, samples: number, chunk: number, rng: Rng): BatchBounds {
  const b = batch.x.shape[0];
  const accumulators = Array.from({ length: b }, () => new StreamingLogSumExp());
  const sums = new Float64Array(b);
  for (let done = 0; done < samples; done += chunk) {
    const k = Math.min(chunk, samples - done);
    const w = tf.tidy(() => model.logImportanceWeights!(batch, k, rng).dataSync()); // [b, k] row-major
    for (let i = 0; i < b; i++) {
      const row = w.subarray(i * k, (i + 1) * k);
      accumulators[i].add(row);
      for (let j = 0; j < k; j++) sums[i] += row[j];
    }
  }
  return { iwae: Float64Array.from(accumulators, (a) => a.logMean()), elbo: Float64Array.from(sums, (s) => s / samples) };
}

/** IWAE log-likelihood of every example of `ds`. */
export function iwaeLogLikelihood(model: Autoencoder, ds: Dataset, options: IwaeOptions): IwaeResult {
  if (!model.logImportanceWeights) throw new FieldError('iwae', `needs a latent-variable model (vae family); '${model.config.model}' has no q(z|x)`);
  if (!Number.isInteger(options.samples) || options.samples < 1) throw new FieldError('iwae', `must be a positive integer, got ${options.samples}`);
  const chunk = Math.min(options.chunk ?? 250, options.samples);
  const batchSize = options.batchSize ?? Math.max(1, Math.floor(20_000 / chunk));
  const rng = new Rng(options.seed ?? 0);
  const logLikelihood = new Float64Array(ds.n);
  const elbo = new Float64Array(ds.n);
  forEachBatch(ds, batchSize, (batch, start, end) => {
    const bounds = batchBounds(model, batch, options.samples, chunk, rng);
    logLikelihood.set(bounds.iwae, start);
    elbo.set(bounds.elbo, start);
    options.onProgress?.(end, ds.n);
  });
  return { samples: options.samples, logLikelihood, elbo, meanLogLikelihood: mean(logLikelihood), meanElbo: mean(elbo) };
}
