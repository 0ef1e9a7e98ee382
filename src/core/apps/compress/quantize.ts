/**
 * Uniform scalar quantisation of codes, one quantiser per latent dimension:
 * level q ∈ {0, …, 2^bits − 1} stands for min + q·step, with min and step
 * chosen so the levels span the dimension's observed range. Rounding to the
 * nearest level makes the error at most step/2 per dimension.
 */

export interface Quantizer {
  bits: number;
  /** Per dimension: value of level 0 (float32, as stored in the file). */
  min: Float32Array;
  /** Per dimension: distance between levels (float32; 0 for a constant dimension). */
  step: Float32Array;
}

/** Fit min and step per dimension to `codes` ([n, d] row-major). */
export function fitQuantizer(codes: Float32Array, n: number, d: number, bits: number): Quantizer {
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) throw new RangeError(`bits must be an integer in 1..16, got ${bits}`);
  if (codes.length !== n * d) throw new RangeError(`fitQuantizer: expected ${n * d} values, got ${codes.length}`);
  const lo = new Float64Array(d).fill(Infinity);
  const hi = new Float64Array(d).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = codes[i * d + j]!;
      if (!Number.isFinite(v)) throw new RangeError(`fitQuantizer: code ${i} has a non-finite value in dimension ${j}`);
      if (v < lo[j]!) lo[j] = v;
      if (v > hi[j]!) hi[j] = v;
    }
  }
  const levels = 2 ** bits - 1;
  const min = new Float32Array(d);
  const step = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    min[j] = n > 0 ? lo[j]! : 0;
    // Round the step up in float32 so the top level is never below the maximum.
    const s = n > 0 ? (hi[j]! - min[j]!) / levels : 0;
    step[j] = s;
    if (step[j]! < s) step[j] = s * (1 + 2 ** -22);
  }
  return { bits, min, step };
}

/** Levels of `codes` ([n, d]) under `q`: round((z − min) / step), clamped to the range. */
export function quantize(q: Quantizer, codes: Float32Array): Uint16Array {
  const d = q.min.length;
  const top = 2 ** q.bits - 1;
  const out = new Uint16Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const j = i % d;
    const step = q.step[j]!;
    const level = step > 0 ? Math.round((codes[i]! - q.min[j]!) / step) : 0;
    out[i] = Math.min(top, Math.max(0, level));
  }
  return out;
}

/** Codes back from levels: min + level·step. */
export function dequantize(q: Quantizer, levels: Uint16Array): Float32Array {
  const d = q.min.length;
  const out = new Float32Array(levels.length);
  for (let i = 0; i < levels.length; i++) {
    const j = i % d;
    out[i] = q.min[j]! + levels[i]! * q.step[j]!;
  }
  return out;
}
