/**
 * The 32-bit LCG (Numerical Recipes' constants) that the tests and their
 * Python reference scripts both implement, so both see the same numbers:
 * `n` uniforms in [0, 1) from `seed`.
 */
export function lcg(seed: number, n: number): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(s / 2 ** 32);
  }
  return out;
}
