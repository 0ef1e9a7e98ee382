/** Seeds derived by hashing, so a step's noise depends on where it is in the run, not on a generator's history. */

/**
 * The seed of participant k's random stream for one step: a hash of the
 * step seed and k, so shards draw independent noise and a run is
 * reproducible for a given worker count.
 */
export function shardSeed(stepSeed: number, k: number): number {
  let h = Math.imul(stepSeed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

/** The seed of one step of one epoch of a run. */
export function stepSeed(runSeed: number, epoch: number, step: number): number {
  return shardSeed(shardSeed(runSeed >>> 0, epoch), step);
}
