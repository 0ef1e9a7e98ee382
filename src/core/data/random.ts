/**
 * Small seeded pseudo-random numbers for reproducible data (sprites, dynamic
 * binarization). Not for cryptography.
 */

export { mulberry32 } from '../random.js';

/**
 * Combine a seed with a stream number into a new 32-bit seed, so that
 * e.g. the train and test splits draw from unrelated sequences.
 */
export function deriveSeed(seed: number, stream: number): number {
  // One round of a murmur3-style finalizer: nearby inputs give unrelated outputs.
  let h = (Math.trunc(seed) ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
