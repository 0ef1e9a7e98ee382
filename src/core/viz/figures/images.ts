/**
 * Image-grid figures (PNG): the decoded manifold of a 2-D latent space,
 * interpolations between two examples, samples and reconstructions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeBatch, makeBatch } from '../../data/batches.js';
import type { Dataset } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import type { Autoencoder } from '../../models/types.js';
import { generateImages, renderReconstructions } from '../../train/snapshots.js';
import { encodeImageGrid } from '../grid.js';
import { encodeCodes } from './codes.js';
import { inverseNormalCdf } from './normal.js';
import { interpolationPath, type PathKind } from './paths.js';

/** Codes decoded per call, to bound memory. */
const DECODE_BATCH = 512;

/** Decode `count` codes ([count, latent] row-major); conditional models get `label` (default 0). */
export function decodeCodes(model: Autoencoder, codes: Float32Array, count: number, label = 0): Float32Array {
  const latent = model.config.latent;
  const dim = model.config.inputShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count * dim);
  for (let start = 0; start < count; start += DECODE_BATCH) {
    const end = Math.min(count, start + DECODE_BATCH);
    const images = tf.tidy(() => {
      const z = tf.tensor2d(codes.subarray(start * latent, end * latent), [end - start, latent]);
      const labels = model.conditional ? tf.fill([end - start], label, 'int32') as tf.Tensor1D : undefined;
      return model.decode(z, labels).dataSync() as Float32Array;
    });
    out.set(images, start * dim);
  }
  return out;
}

function checkLabel(model: Autoencoder, label: number | undefined): void {
  if (label === undefined) return;
  if (!model.conditional) throw new UsageError(`--label needs a conditional model (cvae); '${model.config.model}' ignores labels`);
  if (!Number.isInteger(label) || label < 0 || label >= model.config.numClasses) {
    throw new UsageError(`--label must be between 0 and ${model.config.numClasses - 1}, got ${label}`);
  }
}

function checkCount(name: string, value: number, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min}${max < Infinity ? ` to ${max}` : ''}, got ${value}`);
  }
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
 * {@link manifoldCodes}, tiled without gaps into one PNG of N·w × N·h
 * pixels. Models whose code is not 2-D are refused with a UsageError.
 */
export function manifoldImage(model: Autoencoder, options: ManifoldOptions = {}): Buffer {
  const grid = options.grid ?? 20;
  if (model.config.latent !== 2) throw new UsageError(`the manifold picture needs a 2-D latent space; this ${model.config.model} has latent ${model.config.latent}`);
  checkCount('grid', grid, 1, 100);
  checkLabel(model, options.label);
  const images = decodeCodes(model, manifoldCodes(grid, options.gaussian), grid * grid, options.label);
  return encodeImageGrid(images, grid * grid, model.config.inputShape, { cols: grid, pad: 0 });
}

export interface InterpolationOptions {
  /** Index of the first example; default 0. */
  from?: number;
  /** Index of the second example; default 1. */
  to?: number;
  /** Images in the row, both ends included; default 10. */
  steps?: number;
  /** Straight line (default) or great circle. */
  path?: PathKind;
}

function checkIndex(name: string, index: number, ds: Dataset): void {
  if (!Number.isInteger(index) || index < 0 || index >= ds.n) {
    throw new UsageError(`--${name} ${index} is out of range: ${ds.name} ${ds.split} has ${ds.n} examples (0 to ${ds.n - 1})`);
  }
}

/** E[z] of examples `from` and `to` of ds, and the label of `from`. */
function encodePair(model: Autoencoder, ds: Dataset, from: number, to: number): { a: Float32Array; b: Float32Array; label: number } {
  const batch = makeBatch(ds, [from, to], 0, 2);
  try {
    const z = tf.tidy(() => model.encode(batch).dataSync() as Float32Array);
    const latent = model.config.latent;
    return { a: z.slice(0, latent), b: z.slice(latent), label: ds.labels[from] };
  } finally {
    disposeBatch(batch);
  }
}

/**
 * One row of `steps` images decoded along the path between the codes of
 * examples `from` and `to` (endpoints included); conditional models decode
 * with the first example's label. PNG, steps·(w + 2) + 2 × h + 4 pixels.
 */
export function interpolationImage(model: Autoencoder, ds: Dataset, options: InterpolationOptions = {}): Buffer {
  const { from = 0, to = 1, steps = 10, path = 'line' } = options;
  checkIndex('from', from, ds);
  checkIndex('to', to, ds);
  checkCount('steps', steps, 2, 1000);
  const { a, b, label } = encodePair(model, ds, from, to);
  const images = decodeCodes(model, interpolationPath(a, b, steps, path), steps, label);
  return encodeImageGrid(images, steps, model.config.inputShape, { cols: steps });
}

export interface SamplesOptions {
  /** Number of images; default 64. */
  n?: number;
  /** Seed of z ~ N(0, I); default 0. */
  seed?: number;
  /** Class of every sample (conditional models); default: classes in turn. */
  label?: number;
}

/** `n` decoded draws z ~ N(0, I) in a square-ish grid (PNG); only for generative models. */
export function samplesImage(model: Autoencoder, options: SamplesOptions = {}): Buffer {
  const { n = 64, seed = 0, label } = options;
  if (!model.generative) throw new UsageError(`model '${model.config.model}' is not generative; sampling z ~ N(0, I) needs a VAE-family model`);
  checkCount('n', n, 1, 10000);
  checkLabel(model, label);
  const images = generateImages(model, n, seed, label === undefined ? undefined : new Array<number>(n).fill(label));
  return encodeImageGrid(images, n, model.config.inputShape, { cols: Math.ceil(Math.sqrt(n)) });
}

/** The first `n` examples of ds (odd rows) above their reconstructions (even rows), 8 per row (PNG). */
export function reconstructionsImage(model: Autoencoder, ds: Dataset, n = 32): Buffer {
  checkCount('n', n, 1, 10000);
  return renderReconstructions(model, ds, n);
}
