/** Paths between two latent codes: the straight line and the great circle (slerp). */

/** How to walk from one code to another. */
export type PathKind = 'line' | 'great-circle';

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`interpolation: codes of different sizes (${a.length} and ${b.length})`);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** (1 − t)·a + t·b. */
export function lerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float64Array {
  checkSameLength(a, b);
  return Float64Array.from(a, (ai, i) => (1 - t) * ai + t * b[i]);
}

/**
 * Spherical interpolation (Shoemake's slerp, as White 2016 uses it for
 * generative models): sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, where Ω is
 * the angle between a and b. It is a at t = 0 and b at t = 1; between unit
 * vectors it stays on the unit sphere, and between vectors of equal norm on
 * the sphere of that norm. Where the great circle is not defined (a or b is
 * zero, or they are parallel or opposite) it falls back to {@link lerp}.
 */
export function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float64Array {
  checkSameLength(a, b);
  const norms = Math.sqrt(dot(a, a) * dot(b, b));
  if (norms === 0) return lerp(a, b, t);
  const omega = Math.acos(Math.min(1, Math.max(-1, dot(a, b) / norms)));
  const sinOmega = Math.sin(omega);
  if (sinOmega < 1e-6) return lerp(a, b, t);
  const wa = Math.sin((1 - t) * omega) / sinOmega;
  const wb = Math.sin(t * omega) / sinOmega;
  return Float64Array.from(a, (ai, i) => wa * ai + wb * b[i]);
}

/**
 * `steps` codes evenly spaced in t from a (t = 0) to b (t = 1), both
 * included, as one [steps, d] row-major array.
 */
export function interpolationPath(a: ArrayLike<number>, b: ArrayLike<number>, steps: number, kind: PathKind = 'line'): Float32Array {
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`interpolation: steps must be an integer of at least 2, got ${steps}`);
  checkSameLength(a, b);
  const walk = kind === 'great-circle' ? slerp : lerp;
  const out = new Float32Array(steps * a.length);
  for (let k = 0; k < steps; k++) out.set(walk(a, b, k / (steps - 1)), k * a.length);
  return out;
}
