/** Latent codes of a dataset, and seeded subsets of its rows. */
import * as tf from '@tensorflow/tfjs-core';
import { forEachBatch } from '../../data/batches.js';
import type { Dataset } from '../../data/types.js';
import type { Autoencoder } from '../../models/types.js';
import { Rng } from '../../random.js';

/** The code E[z|x] (`model.encode`) of every example of `ds`: [n, latent] row-major. */
export function encodeCodes(model: Autoencoder, ds: Dataset, batchSize = 1000): Float32Array {
  const latent = model.config.latent;
  const codes = new Float32Array(ds.n * latent);
  forEachBatch(ds, batchSize, (batch, start) => {
    codes.set(tf.tidy(() => model.encode(batch).dataSync()), start * latent);
  });
  return codes;
}

/**
 * Indices of at most `max` of `n` rows, ascending: all rows when n ≤ max,
 * else a random subset drawn from `seed` (the same seed, the same subset).
 */
export function subsampleRows(n: number, max: number, seed: number): Int32Array {
  if (n <= max) return Int32Array.from({ length: n }, (_, i) => i);
  return new Rng(seed).permutation(n).slice(0, max).sort();
}

/** Rows `rows` of an [n, dim] row-major array. */
export function takeRows(data: Float32Array, dim: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}
