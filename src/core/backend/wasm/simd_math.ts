/**
 * Code generators for float32 math in WebAssembly SIMD, four lanes at a
 * time, for the generated kernels (BCE with logits and its gradient).
 * (A sigmoid applied by the matrix product to each panel it computed was
 * tried and measured no faster than the wasm backend's own Sigmoid kernel
 * after it: 8.97 against 9.04 ms for 1000×400·400×784 on two threads, and
 * slower on one.)
 *
 * e^(−a) for a ≥ 0: a is clamped to 87 (e^(−87) ≈ 1.6·10⁻³⁸, the smallest
 * normal float32 is 1.2·10⁻³⁸), n = round(−a·log₂e), r = −a − n·ln 2 in two
 * parts (Cody-Waite) so r ∈ [−0.35, 0.35], e^r by its Taylor polynomial to
 * r⁷ (next term < 10⁻⁸), and 2ⁿ built from its exponent bits.
 * σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) below, with e = e^(−|x|): never
 * the exponential of a positive number.
 */
import { Locals, op, V128 } from './assembler.js';

const EXP_COEFFICIENTS = [1, 1, 2, 6, 24, 120, 720, 5040].map((f) => 1 / f);
export const NAMED = { zero: 0, one: 1, two: 2, clamp: 87, log2e: Math.LOG2E, ln2hi: 0.693359375, ln2lo: -2.12194440e-4, roundingShift: 1.5 * 2 ** 23 };

/** Constants splatted once into v128 locals before the loops (a splat per use costs more than a reload). */
export class Constants {
  private readonly index = new Map<number, number>();
  readonly setup: number[] = [];
  constructor(private readonly locals: Locals) {}

  get(x: number): number[] {
    let local = this.index.get(x);
    if (local === undefined) {
      local = this.locals.add(V128);
      this.index.set(x, local);
      this.setup.push(...op.f32Const(x), ...op.f32x4Splat, ...op.set(local));
    }
    return op.get(local);
  }
}

/** c0 + x(c1 + x(c2 + …)) of the vector in local `x`, on the stack. */
export function horner(k: Constants, x: number, coefficients: number[]): number[] {
  const code = k.get(coefficients[coefficients.length - 1]);
  for (let i = coefficients.length - 2; i >= 0; i--) code.push(...op.get(x), ...op.f32x4Mul, ...k.get(coefficients[i]), ...op.f32x4Add);
  return code;
}

/** Scratch v128 locals of one vector's computation (two sets let two vectors overlap in the CPU). */
export interface Lane {
  l: number;
  a: number;
  b: number;
  e: number;
  acc: number;
}

export const newLane = (locals: Locals): Lane => {
  const [l, a, b, e, acc] = locals.addMany(V128, 5);
  return { l, a, b, e, acc };
};

/**
 * e^(−|l|) of the vector in lane.l, into lane.e. n = round(x·log₂e) by adding
 * 1.5·2²³ (the addition rounds; n sits in the low mantissa bits, so the same
 * bits, shifted, are 2ⁿ's exponent) instead of nearest and a saturating
 * conversion, which V8 expands to several instructions each.
 */
export function expNegAbs(k: Constants, v: Lane): number[] {
  const { l, a: n, b: r, e } = v;
  return [
    // x = −pmin(|l|, 87) (a NaN stays NaN)
    ...op.get(l), ...op.f32x4Abs, ...k.get(NAMED.clamp), ...op.f32x4Pmin, ...op.f32x4Neg, ...op.set(r),
    ...op.get(r), ...k.get(NAMED.log2e), ...op.f32x4Mul, ...k.get(NAMED.roundingShift), ...op.f32x4Add, ...op.set(n),
    // r = x − n·ln2_hi − n·ln2_lo, with n as a float
    ...op.get(r),
    ...op.get(n), ...k.get(NAMED.roundingShift), ...op.f32x4Sub, ...op.tee(e), ...k.get(NAMED.ln2hi), ...op.f32x4Mul, ...op.f32x4Sub,
    ...op.get(e), ...k.get(NAMED.ln2lo), ...op.f32x4Mul, ...op.f32x4Sub, ...op.set(r),
    // e^r · 2ⁿ: the low bits of n's float, plus the bias 127, shifted into the exponent field
    ...horner(k, r, EXP_COEFFICIENTS),
    ...op.get(n), ...op.i32(127), ...op.i32x4Splat, ...op.i32x4Add, ...op.i32(23), ...op.i32x4Shl,
    ...op.f32x4Mul, ...op.set(e),
  ];
}

/** σ of the vector in lane.l, on the stack (lane.a, lane.b, lane.e are scratch). */
export function sigmoid(k: Constants, v: Lane): number[] {
  return [
    ...expNegAbs(k, v),
    // select(l ≥ 0, 1, e) / (1 + e)
    ...k.get(NAMED.one), ...op.get(v.e), ...op.get(v.l), ...k.get(NAMED.zero), ...op.f32x4Ge, ...op.v128Bitselect,
    ...k.get(NAMED.one), ...op.get(v.e), ...op.f32x4Add, ...op.f32x4Div,
  ];
}
