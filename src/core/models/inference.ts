/**
 * A model's codes for a whole dataset, and data decoded from many codes, in
 * batches. Results are copied straight into the one output array (on wasm,
 * from the heap), not through a fresh array per batch: a fresh array of a
 * decoded batch of 1000 MNIST images is 3 MB of pages to fault in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readInto } from '../backend/wasm/read.js';
import { forEachBatch } from '../data/batches.js';
import type { Dataset } from '../data/types.js';
import type { Autoencoder } from './types.js';

/** The code E[z|x] (`model.encode`) of every example of `ds`: [n, latent] row-major. */
export function encodeCodes(model: Autoencoder, ds: Dataset, batchSize = 1000, onProgress?: (done: number, total: number) => void): Float32Array {
  const latent = model.config.latent;
  const codes = new Float32Array(ds.n * latent);
  forEachBatch(ds, batchSize, (batch, start, end) => {
    tf.tidy(() => readInto(model.encode(batch), codes, start * latent));
    onProgress?.(end, ds.n);
  });
  return codes;
}

/** decode(z) for n codes ([n, latent] row-major) and, for a conditional model, their labels: [n, features]. */
export function decodeCodes(model: Autoencoder, codes: Float32Array, n: number, labels?: Int32Array, batchSize = 1000): Float32Array {
  const d = model.config.latent;
  const dim = model.config.inputShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * dim);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    tf.tidy(() => {
      const z = tf.tensor2d(codes.subarray(start * d, end * d), [end - start, d]); // [b, latent]
      const y = labels ? tf.tensor1d(labels.subarray(start, end), 'int32') : undefined;
      readInto(model.decode(z, y), out, start * dim);
    });
  }
  return out;
}
