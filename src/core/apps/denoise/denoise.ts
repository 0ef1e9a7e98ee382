/**
 * Denoising: pass (optionally freshly corrupted) inputs through an
 * autoencoder and measure how much closer the output is to the clean input
 * than the noisy input was.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readInto } from '../../backend/wasm/read.js';
import { forEachRowBatch } from '../../data/batches.js';
import { featureSize, type Dataset } from '../../data/types.js';
import { FieldError } from '../../errors.js';
import { ErrorSums } from '../../eval/metrics/image.js';
import { corruptBatch, parseNoise, type NoiseSpec } from '../../models/dae/noise.js';
import type { Autoencoder } from '../../models/types.js';
import { Rng } from '../../random.js';

export interface DenoiseOptions {
  /** Corrupt the clean inputs with this noise first (a demonstration with a known answer). */
  corrupt?: NoiseSpec;
  /** Seed of the corruption; the same seed corrupts the same way. Default 0. */
  seed?: number;
  /** Clip gaussian-corrupted inputs to [0, 1]; default: for images, not for table rows. */
  clip?: boolean;
  batchSize?: number;
  /** Rows of `noisy` and `cleaned` to keep (the first ones); default all. Quality is measured on every row either way. */
  keep?: number;
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
  /** What the model was given: the corrupted inputs with `corrupt`, else the dataset itself. [keep, dim]. */
  noisy: Float32Array;
  /** The model's outputs for `noisy`. [keep, dim]. */
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

/** RMSE, and for images in [0, 1] (`psnr`) PSNR, of noisy and cleaned inputs against the clean ones. */
export function denoiseQuality(clean: Float32Array, noisy: Float32Array, cleaned: Float32Array, n: number, options: { psnr?: boolean } = {}): DenoiseQuality {
  const sums = qualitySums(clean.length / n, options.psnr !== false);
  sums.noisy.add(noisy, clean);
  sums.cleaned.add(cleaned, clean);
  return qualityOf(sums);
}

/** Error sums of the noisy and of the cleaned inputs, each image of `dim` values scored as one row. */
function qualitySums(dim: number, psnr: boolean): { noisy: ErrorSums; cleaned: ErrorSums; psnr: boolean } {
  const image = { shape: [1, dim, 1] as const, psnr };
  return { noisy: new ErrorSums(image), cleaned: new ErrorSums(image), psnr };
}

function qualityOf({ noisy, cleaned, psnr }: ReturnType<typeof qualitySums>): DenoiseQuality {
  const errors = { rmseNoisy: noisy.rmse, rmseCleaned: cleaned.rmse };
  return psnr ? { psnrNoisy: noisy.psnr, psnrCleaned: cleaned.psnr, ...errors } : errors;
}

/**
 * Clean every example of `ds` with `model` (decode(encode(x̃))). With
 * `corrupt`, x̃ is the clean example corrupted afresh (each batch from its own
 * seed drawn from `seed`) and the quality against the clean examples is
 * measured. Table rows are cleaned in the scaled units the model sees.
 */
export function denoiseDataset(model: Autoencoder, ds: Dataset, options: DenoiseOptions = {}): DenoiseResult {
  const dim = featureSize(ds);
  const batchSize = options.batchSize ?? 500;
  const keep = Math.min(options.keep ?? ds.n, ds.n);
  const [noisy, cleaned] = [new Float32Array(keep * dim), new Float32Array(keep * dim)];
  const batch = { noisy: new Float32Array(Math.min(batchSize, ds.n) * dim), cleaned: new Float32Array(Math.min(batchSize, ds.n) * dim) };
  const sums = qualitySums(dim, !ds.table);
  const seeds = new Rng(options.seed ?? 0);
  forEachRowBatch(ds, batchSize, (x, labels, start, end) => {
    const [b, batchSeed] = [end - start, seeds.seed()];
    tf.tidy(() => {
      const [clean, y] = [tf.tensor2d(x, [b, dim]), tf.tensor1d(labels, 'int32')];
      const input = options.corrupt ? corruptBatch(clean, options.corrupt, batchSeed, { clip: options.clip ?? !ds.table }) : clean;
      readInto(input, batch.noisy);
      readInto(model.decode(model.encode({ x: input, labels: y }), y), batch.cleaned);
    });
    if (start < keep) {
      noisy.set(batch.noisy.subarray(0, (Math.min(end, keep) - start) * dim), start * dim);
      cleaned.set(batch.cleaned.subarray(0, (Math.min(end, keep) - start) * dim), start * dim);
    }
    if (!options.corrupt) return;
    sums.noisy.add(batch.noisy.subarray(0, b * dim), x);
    sums.cleaned.add(batch.cleaned.subarray(0, b * dim), x);
  });
  return { n: ds.n, dim, noisy, cleaned, quality: options.corrupt ? qualityOf(sums) : undefined };
}
