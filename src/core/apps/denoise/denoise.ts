/**
 * Denoising: pass (optionally freshly corrupted) inputs through an
 * autoencoder and measure how much closer the output is to the clean input
 * than the noisy input was.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readInto } from '../../backend/wasm/read.js';
import { forEachBatch } from '../../data/batches.js';
import { featureSize, type Dataset } from '../../data/types.js';
import { FieldError, UsageError } from '../../errors.js';
import { batchPsnr } from '../../eval/metrics/image.js';
import { corruptBatch, parseNoise, type NoiseSpec } from '../../models/dae/noise.js';
import type { Autoencoder } from '../../models/types.js';
import { Rng } from '../../random.js';
import { pixelRange } from '../../data/pixels.js';

export interface DenoiseOptions {
  /** Corrupt the clean inputs with this noise first (a demonstration with a known answer). */
  corrupt?: NoiseSpec;
  /** Seed of the corruption; the same seed corrupts the same way. Default 0. */
  seed?: number;
  /** Clip gaussian-corrupted inputs to [0, 1]; default: for images, not for table rows. */
  clip?: boolean;
  batchSize?: number;
}

/** How far noisy and cleaned inputs are from the clean ones, averaged per example. */
export interface DenoiseQuality {
  /**
   * Mean over images of PSNR(noisy, clean) and PSNR(cleaned, clean), in dB
   * (peak value 1). Images only: standardized table rows have no peak value.
   */
  psnrNoisy?: number;
  psnrCleaned?: number;
  /** Root mean squared error over all entries, in the units the model sees. */
  rmseNoisy: number;
  rmseCleaned: number;
}

export interface DenoiseResult {
  n: number;
  dim: number;
  /** What the model was given: the corrupted inputs with `corrupt`, else the dataset itself. [n, dim]. */
  noisy: Float32Array;
  /** The model's outputs for `noisy`. [n, dim]. */
  cleaned: Float32Array;
  /** Present only with `corrupt`: without it there is no clean reference. */
  quality?: DenoiseQuality;
}

/** `--corrupt NOISE` parsed with the DAE's noise parser, its messages naming --corrupt. */
export function parseCorrupt(text: string): NoiseSpec {
  try {
    return parseNoise(text);
  } catch (err) {
    if (err instanceof FieldError) throw new FieldError('corrupt', err.problem);
    throw err;
  }
}

function rmse(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum / a.length);
}

/** RMSE, and for images in [0, 1] (`psnr`) PSNR, of noisy and cleaned inputs against the clean ones. */
export function denoiseQuality(clean: Float32Array, noisy: Float32Array, cleaned: Float32Array, n: number, options: { psnr?: boolean } = {}): DenoiseQuality {
  const dim = clean.length / n;
  const errors = { rmseNoisy: rmse(noisy, clean), rmseCleaned: rmse(cleaned, clean) };
  if (options.psnr === false) return errors;
  return { psnrNoisy: batchPsnr(noisy, clean, n, dim).mean, psnrCleaned: batchPsnr(cleaned, clean, n, dim).mean, ...errors };
}

/**
 * Clean every example of `ds` with `model` (decode(encode(x̃))). With
 * `corrupt`, x̃ is the clean example corrupted afresh (each batch from its own
 * seed drawn from `seed`) and the quality against the clean examples is
 * measured. Table rows are cleaned in the scaled units the model sees.
 */
export function denoiseDataset(model: Autoencoder, ds: Dataset, options: DenoiseOptions = {}): DenoiseResult {
  const dim = featureSize(ds);
  const noisy = new Float32Array(ds.n * dim);
  const cleaned = new Float32Array(ds.n * dim);
  const seeds = new Rng(options.seed ?? 0);
  forEachBatch(ds, options.batchSize ?? 500, (batch, start) => {
    const batchSeed = seeds.seed();
    tf.tidy(() => {
      const input = options.corrupt ? corruptBatch(batch.x, options.corrupt, batchSeed, { clip: options.clip ?? !ds.table }) : batch.x;
      const output = model.decode(model.encode({ x: input, labels: batch.labels }), batch.labels);
      readInto(input, noisy, start * dim);
      readInto(output, cleaned, start * dim);
    });
  });
  const quality = options.corrupt ? denoiseQuality(pixelRange(ds), noisy, cleaned, ds.n, { psnr: !ds.table }) : undefined;
  return { n: ds.n, dim, noisy, cleaned, quality };
}
