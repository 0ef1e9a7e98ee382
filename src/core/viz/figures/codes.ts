/** Latent codes of a dataset (models/inference.ts), and seeded subsets of its rows. */
import { Rng } from '../../random.js';

export { encodeCodes } from '../../models/inference.js';

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
