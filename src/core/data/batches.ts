/** Turning dataset rows into tensors. */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../models/types.js';
import { featureSize, type Dataset } from './types.js';
import { copyValues } from './pixels.js';

/** Rows `order[start..end)` of `ds` as a batch: x [b, dim] and labels [b]. */
export function makeBatch(ds: Dataset, order: ArrayLike<number> | null, start: number, end: number): Batch {
  const dim = featureSize(ds);
  const b = end - start;
  // Consecutive float rows need no gathering: wasm and tfjs-node copy straight from the dataset (a fresh
  // 3 MB array per batch of 1000 images cost a third of encoding it, in page faults on this VM). The cpu
  // backend would keep the view itself as the tensor's data, so it gets a copy as before; bytes are
  // converted to float32 here, the only place a batch's values are made.
  if (order == null && ds.pixels.kind === 'float32' && tf.getBackend() !== 'cpu') {
    return { x: tf.tensor2d(ds.pixels.data.subarray(start * dim, end * dim), [b, dim]), labels: tf.tensor1d(ds.labels.subarray(start, end), 'int32') };
  }
  const buffer = new BatchBuffer(b, dim);
  buffer.fill(ds, order, start, end);
  return { x: tf.tensor2d(buffer.x, [b, dim]), labels: tf.tensor1d(buffer.labels, 'int32') };
}

/**
 * Reusable host memory for batches: rows are gathered into typed arrays
 * allocated once, so the training loop allocates nothing per step on the
 * JavaScript side (the backend still copies each batch into its own memory).
 * The arrays may live in a SharedArrayBuffer so worker threads can read them.
 */
export class BatchBuffer {
  readonly x: Float32Array;
  readonly labels: Int32Array;

  constructor(
    readonly capacity: number,
    readonly dim: number,
    memory?: { x: Float32Array; labels: Int32Array },
  ) {
    this.x = memory?.x ?? new Float32Array(capacity * dim);
    this.labels = memory?.labels ?? new Int32Array(capacity);
    if (this.x.length < capacity * dim || this.labels.length < capacity) throw new Error('BatchBuffer: memory smaller than capacity');
  }

  /** Copy rows `order[start..end)` of `ds` in; returns the row count. */
  fill(ds: Dataset, order: ArrayLike<number> | null, start: number, end: number): number {
    const { dim } = this;
    const b = end - start;
    if (b > this.capacity) throw new Error(`BatchBuffer: ${b} rows exceed capacity ${this.capacity}`);
    for (let i = 0; i < b; i++) {
      const row = order ? order[start + i] : start + i;
      copyValues(ds.pixels, row * dim, dim, this.x, i * dim);
      this.labels[i] = ds.labels[row]!;
    }
    return b;
  }

  /** Rows [lo, hi) of the buffer as tensors (the backend copies the values). */
  tensors(lo: number, hi: number): Batch {
    const b = hi - lo;
    return {
      x: tf.tensor2d(this.x.subarray(lo * this.dim, hi * this.dim), [b, this.dim]),
      labels: tf.tensor1d(this.labels.subarray(lo, hi), 'int32'),
    };
  }
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

/**
 * Call `fn` on consecutive rows of `ds` in order as float32 values x [b, dim]
 * and labels [b], in one buffer reused batch after batch: whole-split readers
 * (metrics, measurements) hold one batch of floats, not 4 bytes per value of
 * the split. The arrays are valid only during the call.
 */
export function forEachRowBatch(ds: Dataset, batchSize: number, fn: (x: Float32Array, labels: Int32Array, start: number, end: number) => void): void {
  if (ds.n === 0) return;
  const buffer = new BatchBuffer(Math.min(batchSize, ds.n), featureSize(ds));
  for (let start = 0; start < ds.n; start += batchSize) {
    const end = Math.min(ds.n, start + batchSize);
    const b = buffer.fill(ds, null, start, end);
    fn(buffer.x.subarray(0, b * buffer.dim), buffer.labels.subarray(0, b), start, end);
  }
}
