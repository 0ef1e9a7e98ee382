/**
 * Walk the latent space between two examples: encode both, decode `steps`
 * codes on the straight line or great circle between them (the paths of
 * src/viz/figures/paths.ts), and show the two originals at the ends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeBatch, makeBatch } from '../../data/batches.js';
import { featureSize, type Dataset } from '../../data/types.js';
import { FieldError } from '../../errors.js';
import { decodeCodes } from '../../models/inference.js';
import type { Autoencoder } from '../../models/types.js';
import { tileImages, type Picture } from '../../viz/grid.js';
import { decodingLabels } from '../../viz/figures/images.js';
import { interpolationPath, type PathKind } from '../../viz/figures/paths.js';
import { examplePixels } from '../../data/pixels.js';

export interface InterpolateOptions {
  /** Index of the first example; default 0. */
  from?: number;
  /** Index of the second example; default 1. */
  to?: number;
  /** Decoded codes on the path, both ends included; default 10. */
  steps?: number;
  /** Straight line (default) or great circle (slerp). */
  path?: PathKind;
}

export interface InterpolateResult {
  from: number;
  to: number;
  steps: number;
  path: PathKind;
  /** The two codes z_a, z_b. */
  codeFrom: number[];
  codeTo: number[];
  /** |z_b − z_a| and the norms |z_a|, |z_b|. */
  distance: number;
  normFrom: number;
  normTo: number;
  /** The codes on the path, [steps, latent]; row 0 is z_a, the last row z_b. */
  codes: Float32Array;
  /** |z| of each code on the path: a straight line sags towards the origin between codes of similar norm, a great circle does not. */
  pathNorms: number[];
  /** The decoded path, [steps, dim]. */
  images: Float32Array;
  /** Mean absolute pixel change between consecutive decoded images (steps − 1 values). */
  stepChange: number[];
}

/** An example index of `ds`, or a FieldError naming the field. */
export function checkIndex(field: string, index: number, ds: Dataset): void {
  if (!Number.isInteger(index) || index < 0 || index >= ds.n) {
    throw new FieldError(field, `${index} is out of range: ${ds.name} ${ds.split} has ${ds.n} examples (0 to ${ds.n - 1})`);
  }
}

/** The codes of rows `from` and `to`, [2, latent] row-major. */
function encodeRows(model: Autoencoder, ds: Dataset, from: number, to: number): Float32Array {
  const batch = makeBatch(ds, [from, to], 0, 2);
  try {
    return tf.tidy(() => model.encode(batch).dataSync() as Float32Array);
  } finally {
    disposeBatch(batch);
  }
}

const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));

/** Mean |x_{k+1} − x_k| over the values of each pair of consecutive images ([count, dim]). */
export function meanStepChange(images: Float32Array, dim: number): number[] {
  const count = images.length / dim;
  return Array.from({ length: count - 1 }, (_, k) => {
    let s = 0;
    for (let p = 0; p < dim; p++) s += Math.abs(images[(k + 1) * dim + p] - images[k * dim + p]);
    return s / dim;
  });
}

/**
 * Decode the path between examples `from` and `to` of ds. Conditional models
 * decode the whole path with the first example's label.
 *
 * @throws UsageError when an index is out of range or steps is not in 2..1000
 */
export function interpolateExamples(model: Autoencoder, ds: Dataset, options: InterpolateOptions = {}): InterpolateResult {
  const { from = 0, to = 1, steps = 10, path = 'line' } = options;
  checkIndex('from', from, ds);
  checkIndex('to', to, ds);
  if (!Number.isInteger(steps) || steps < 2 || steps > 1000) throw new FieldError('steps', `must be an integer from 2 to 1000, got ${steps}`);
  if (path !== 'line' && path !== 'great-circle') throw new FieldError('path', `must be line or great-circle, got '${String(path)}'`);

  const latent = model.config.latent;
  const pair = encodeRows(model, ds, from, to);
  const a = pair.subarray(0, latent);
  const b = pair.subarray(latent);
  const codes = interpolationPath(a, b, steps, path);
  const images = decodeCodes(model, codes, steps, decodingLabels(model, steps, ds.labels[from]));
  return {
    from,
    to,
    steps,
    path,
    codeFrom: Array.from(a),
    codeTo: Array.from(b),
    distance: Math.hypot(...Array.from(a, (ai, i) => b[i] - ai)),
    normFrom: norm(a),
    normTo: norm(b),
    codes,
    pathNorms: Array.from({ length: steps }, (_, k) => norm(codes.subarray(k * latent, (k + 1) * latent))),
    images,
    stepChange: meanStepChange(images, featureSize(ds)),
  };
}

/**
 * One row: the original `from` example, the decoded path (steps images),
 * then the original `to` example: (steps + 2)·(w + 2) + 2 × h + 4 pixels.
 */
export function interpolateImage(result: InterpolateResult, ds: Dataset): Picture {
  const dim = featureSize(ds);
  const row = new Float32Array((result.steps + 2) * dim);
  row.set(examplePixels(ds, result.from));
  row.set(result.images, dim);
  row.set(examplePixels(ds, result.to), (result.steps + 1) * dim);
  return tileImages(row, result.steps + 2, ds.shape, { cols: result.steps + 2 });
}
