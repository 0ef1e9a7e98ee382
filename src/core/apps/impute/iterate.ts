/**
 * Imputation by iterative reconstruction: start the missing entries at the
 * training means, then repeatedly replace them (and only them) by the
 * autoencoder's reconstruction,
 *
 *   x⁰ = observed ∪ means,   xᵗ⁺¹ = observed ∪ decode(encode(xᵗ)) on missing entries,
 *
 * until the largest change of a missing entry is below `tol` or `maxIter`
 * rounds have run. Observed entries are copied, never recomputed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FieldError } from '../../errors.js';
import type { Autoencoder } from '../../models/types.js';

export interface ImputeOptions {
  /** Most encode-decode rounds; default 50. */
  maxIter?: number;
  /** Stop when max |xᵗ⁺¹ − xᵗ| over missing entries is below this; default 1e-4. */
  tol?: number;
  batchSize?: number;
  /** Class labels per row, for conditional models. */
  labels?: Int32Array;
}

export interface ImputeResult {
  /** The rows with every missing entry filled. [n, dim]. */
  filled: Float32Array;
  /** Rounds run by the batch that needed the most. */
  iterations: number;
  /** Whether every batch stopped because the change fell below `tol`. */
  converged: boolean;
  /** The last round's largest change of a missing entry, over all batches. */
  lastChange: number;
}

/** @throws UsageError unless maxIter is a positive integer and tol a finite number ≥ 0 */
export function checkImputeSettings(maxIter: number, tol: number): void {
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new FieldError('maxIter', `must be a positive integer, got ${maxIter}`);
  if (!(tol >= 0) || !Number.isFinite(tol)) throw new FieldError('tol', `must be a number ≥ 0, got ${tol}`);
}

/** Rows [start, end) of x with missing entries set to the means (so no NaN reaches a tensor). */
function startingRows(x: Float32Array, missing: Uint8Array, means: Float32Array, start: number, end: number): Float32Array {
  const dim = means.length;
  const rows = x.slice(start * dim, end * dim);
  for (let i = 0; i < rows.length; i++) if (missing[start * dim + i]) rows[i] = means[i % dim];
  return rows;
}

/** One batch: iterate until converged; returns the filled rows, rounds run and the last change. */
function imputeBatch(model: Autoencoder, rows: Float32Array, missingRows: Uint8Array, labels: tf.Tensor1D | undefined, maxIter: number, tol: number): { filled: Float32Array; rounds: number; change: number } {
  const dim = model.config.inputShape.reduce((a, b) => a * b, 1);
  const b = rows.length / dim;
  const observed = tf.tensor2d(rows, [b, dim]);
  const isMissing = tf.tensor2d(missingRows, [b, dim], 'bool');
  let current: tf.Tensor2D = observed.clone();
  let rounds = 0;
  let change = Infinity;
  try {
    while (rounds < maxIter && !(change < tol)) {
      const next = tf.tidy(() => tf.where(isMissing, model.decode(model.encode({ x: current, labels }), labels), observed) as tf.Tensor2D);
      // Only missing entries can change; observed ones are identical in both.
      change = tf.tidy(() => tf.max(tf.abs(tf.sub(next, current))).dataSync()[0]);
      current.dispose();
      current = next;
      rounds++;
    }
    return { filled: current.dataSync() as Float32Array, rounds, change };
  } finally {
    current.dispose();
    observed.dispose();
    isMissing.dispose();
  }
}

/**
 * Fill the entries of `x` ([n, dim] row-major) where `missing` is 1, starting
 * from `means` (one per feature). Entries of x under the mask are ignored
 * (they may be NaN); all others are returned unchanged.
 */
export function imputeIteratively(model: Autoencoder, x: Float32Array, missing: Uint8Array, means: Float32Array, options: ImputeOptions = {}): ImputeResult {
  const dim = means.length;
  const maxIter = options.maxIter ?? 50;
  const tol = options.tol ?? 1e-4;
  checkImputeSettings(maxIter, tol);
  if (x.length % dim !== 0 || missing.length !== x.length) throw new RangeError(`imputeIteratively: x has ${x.length} values, missing ${missing.length}, dim ${dim}`);
  const n = x.length / dim;
  const batchSize = options.batchSize ?? 500;
  const filled = new Float32Array(x.length);
  let iterations = 0;
  let converged = true;
  let lastChange = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const labels = options.labels ? tf.tensor1d(options.labels.slice(start, end), 'int32') : undefined;
    try {
      const rows = startingRows(x, missing, means, start, end);
      const result = imputeBatch(model, rows, missing.subarray(start * dim, end * dim), labels, maxIter, tol);
      filled.set(result.filled, start * dim);
      iterations = Math.max(iterations, result.rounds);
      converged &&= result.change < tol;
      lastChange = Math.max(lastChange, result.change);
    } finally {
      labels?.dispose();
    }
  }
  return { filled, iterations, converged, lastChange };
}
