/**
 * Image-grid figures: samples, reconstructions, the decoded manifold of a
 * 2-D latent space. `latentkit sample`, `reconstruct` and `plot`, the run
 * writer's per-epoch pictures, the report and the lab all draw them here.
 * Each returns a Picture (RGBA); encodePng turns one into PNG bytes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeBatch, makeBatch } from '../../data/batches.js';
import type { Dataset } from '../../data/types.js';
import { FieldError, UsageError } from '../../errors.js';
import { decodeCodes, encodeCodes } from '../../models/inference.js';
import type { Autoencoder } from '../../models/types.js';
import { tileImages, type Picture } from '../grid.js';
import { inverseNormalCdf } from './normal.js';
import { pixelRange } from '../../data/pixels.js';

/** A figure's count argument in range, or a FieldError naming it. */
function checkCount(field: string, value: number, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new FieldError(field, `must be an integer from ${min}${max < Infinity ? ` to ${max}` : ''}, got ${value}`);
  }
}

/** A class label a conditional model can decode with. */
export function checkLabel(model: Autoencoder, label: number | undefined): void {
  if (label === undefined) return;
  if (!model.conditional) throw new FieldError('label', `needs a conditional model (cvae); '${model.config.model}' ignores labels`);
  if (!Number.isInteger(label) || label < 0 || label >= model.config.numClasses) {
    throw new FieldError('label', `must be between 0 and ${model.config.numClasses - 1}, got ${label}`);
  }
}

/** Labels for decoding `n` codes: `label` for all, or for a conditional model the classes in turn. */
export function decodingLabels(model: Autoencoder, n: number, label?: number): Int32Array | undefined {
  if (!model.conditional) return undefined;
  const classes = Math.max(1, model.config.numClasses);
  return Int32Array.from({ length: n }, (_, i) => label ?? i % classes);
}

export interface SampleOptions {
  /** Number of draws; default 64. */
  n?: number;
  /** Seed of z ~ N(0, T²·I); the same seed gives the same z. Default 0. */
  seed?: number;
  /** Class of every sample (conditional models); default: classes in turn. */
  label?: number;
  /** T: the prior's scale; below 1 trades variety for typical samples. Default 1. */
  temperature?: number;
}

/** The codes z ~ N(0, T²·I) of {@link sampleImages}, [n, latent] row-major. */
export function priorCodes(latent: number, n: number, seed: number, temperature = 1): Float32Array {
  return tf.tidy(() => tf.randomNormal([n, latent], 0, temperature, 'float32', seed).dataSync() as Float32Array);
}

/** Draws from the model's own prior (N(0, T²·I) unless the model has a learned one), [n, latent] row-major. */
export function modelPriorCodes(model: Autoencoder, n: number, seed: number, temperature = 1): Float32Array {
  if (!model.samplePrior) return priorCodes(model.config.latent, n, seed, temperature);
  return tf.tidy(() => model.samplePrior!(n, seed, temperature).dataSync() as Float32Array);
}

/** Decoded draws from the prior, [n, h·w·c]; only for generative models. */
export function sampleImages(model: Autoencoder, options: SampleOptions = {}): Float32Array {
  const { n = 64, seed = 0, label, temperature = 1 } = options;
  if (!model.generative) throw new UsageError(`model '${model.config.model}' is not generative; sampling z ~ N(0, I) needs a VAE-family model`);
  checkCount('n', n, 1, 10000);
  checkLabel(model, label);
  if (!(temperature > 0)) throw new FieldError('temperature', `must be > 0, got ${temperature}`);
  return decodeCodes(model, modelPriorCodes(model, n, seed, temperature), n, decodingLabels(model, n, label));
}

/** {@link sampleImages} in a square-ish grid. */
export function samplesImage(model: Autoencoder, options: SampleOptions = {}): Picture {
  const n = options.n ?? 64;
  return tileImages(sampleImages(model, options), n, model.config.inputShape, { cols: Math.ceil(Math.sqrt(n)) });
}

/** The first n examples of ds and their reconstructions decode(encode(x)), each [n, h·w·c]. */
export function reconstructImages(model: Autoencoder, ds: Dataset, n: number): { originals: Float32Array; recons: Float32Array } {
  const count = Math.min(n, ds.n);
  const batch = makeBatch(ds, null, 0, count);
  try {
    const recons = tf.tidy(() => model.decode(model.encode(batch), batch.labels).dataSync() as Float32Array);
    return { originals: pixelRange(ds, 0, count), recons };
  } finally {
    disposeBatch(batch);
  }
}

/** The first `n` examples of ds (odd rows) above their reconstructions (even rows), 8 per row. */
export function reconstructionsImage(model: Autoencoder, ds: Dataset, n = 32): Picture {
  checkCount('n', n, 1, 10000);
  const { originals, recons } = reconstructImages(model, ds, n);
  const count = Math.min(n, ds.n);
  const dim = model.config.inputShape.reduce((a, b) => a * b, 1);
  const cols = Math.min(8, count);
  const rows = Math.ceil(count / cols);
  const tiles = new Float32Array(rows * 2 * cols * dim).fill(Number.NaN);
  for (let i = 0; i < count; i++) {
    const r = Math.floor(i / cols);
    const c = i % cols;
    tiles.set(originals.subarray(i * dim, (i + 1) * dim), (2 * r * cols + c) * dim);
    tiles.set(recons.subarray(i * dim, (i + 1) * dim), ((2 * r + 1) * cols + c) * dim);
  }
  return tileImages(tiles, rows * 2 * cols, model.config.inputShape, { cols });
}

/** A Gaussian per latent dimension: mean and standard deviation. */
export interface LatentGaussian {
  mean: [number, number];
  std: [number, number];
}

/** The Gaussian fitted (per dimension) to the 2-D codes of `ds`, for models without a prior. */
export function fitCodeGaussian(model: Autoencoder, ds: Dataset): LatentGaussian {
  const codes = encodeCodes(model, ds);
  const stats = [0, 1].map((d) => {
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < ds.n; i++) sum += codes[2 * i + d];
    const mean = sum / ds.n;
    for (let i = 0; i < ds.n; i++) squares += (codes[2 * i + d] - mean) ** 2;
    return { mean, std: Math.sqrt(squares / ds.n) || 1 };
  });
  return { mean: [stats[0].mean, stats[1].mean], std: [stats[0].std, stats[1].std] };
}

/**
 * The N×N grid of 2-D codes z = mean + std·Φ⁻¹(p), p = (i + ½)/N, as
 * [N², 2] row-major: left to right z1 rises, top to bottom z2 falls (so the
 * picture is oriented like a scatter plot of the codes).
 */
export function manifoldCodes(grid: number, gaussian: LatentGaussian = { mean: [0, 0], std: [1, 1] }): Float32Array {
  const quantiles = Array.from({ length: grid }, (_, i) => inverseNormalCdf((i + 0.5) / grid));
  const codes = new Float32Array(grid * grid * 2);
  for (let row = 0; row < grid; row++) {
    for (let col = 0; col < grid; col++) {
      const k = row * grid + col;
      codes[2 * k] = gaussian.mean[0] + gaussian.std[0] * quantiles[col];
      codes[2 * k + 1] = gaussian.mean[1] + gaussian.std[1] * quantiles[grid - 1 - row];
    }
  }
  return codes;
}

export interface ManifoldOptions {
  /** N: the picture has N×N decoded images; default 20. */
  grid?: number;
  /** Class to decode with, for conditional models; default 0. */
  label?: number;
  /** The Gaussian whose quantiles the grid follows; default N(0, I), the prior of the VAE family. */
  gaussian?: LatentGaussian;
}

/**
 * Kingma & Welling's picture of a 2-D latent space: the decoded images of
 * {@link manifoldCodes}, tiled without gaps (N·w × N·h pixels). Models whose
 * code is not 2-D are refused.
 */
export function manifoldImage(model: Autoencoder, options: ManifoldOptions = {}): Picture {
  const grid = options.grid ?? 20;
  if (model.config.latent !== 2) throw new UsageError(`the manifold picture needs a 2-D latent space; this ${model.config.model} has latent ${model.config.latent}`);
  checkCount('grid', grid, 1, 100);
  checkLabel(model, options.label);
  const images = decodeCodes(model, manifoldCodes(grid, options.gaussian), grid * grid, decodingLabels(model, grid * grid, options.label ?? 0));
  return tileImages(images, grid * grid, model.config.inputShape, { cols: grid, pad: 0 });
}
