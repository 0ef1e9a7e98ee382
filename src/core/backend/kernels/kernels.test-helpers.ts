/** Shared by the kernel tests: reproducible inputs. */

/** n values in [−1, 1) from a linear congruential generator seeded with `seed`. */
export function seeded(n: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Number of elements of a shape. */
export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
