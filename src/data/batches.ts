/** Turning dataset rows into tensors. */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../models/types.js';
import { featureSize, type Dataset } from './types.js';

/** Rows `order[start..end)` of `ds` as a batch: x [b, dim] and labels [b]. */
export function makeBatch(ds: Dataset, order: ArrayLike<number> | null, start: number, end: number): Batch {
  const dim = featureSize(ds);
  const b = end - start;
  const x = new Float32Array(b * dim);
  const labels = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    const row = order ? order[start + i] : start + i;
    x.set(ds.images.subarray(row * dim, (row + 1) * dim), i * dim);
    labels[i] = ds.labels[row];
  }
  return { x: tf.tensor2d(x, [b, dim]), labels: tf.tensor1d(labels, 'int32') };
}

export function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  batch.labels?.dispose();
}

/** Call `fn` on consecutive batches of `ds` in order (no shuffling), disposing each after. */
export function forEachBatch(ds: Dataset, batchSize: number, fn: (batch: Batch, start: number, end: number) => void, limit = ds.n): void {
  const n = Math.min(limit, ds.n);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const batch = makeBatch(ds, null, start, end);
    try {
      fn(batch, start, end);
    } finally {
      disposeBatch(batch);
    }
  }
}
