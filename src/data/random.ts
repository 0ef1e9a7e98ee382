/**
 * Small seeded pseudo-random numbers for reproducible data (sprites, dynamic
 * binarization). Not for cryptography.
 */

/** mulberry32: a 32-bit state PRNG returning floats in [0, 1). Same seed, same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
