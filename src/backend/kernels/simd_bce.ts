/**
 * Binary cross-entropy with logits as two hand-assembled WebAssembly SIMD
 * functions on the tfjs wasm backend's heap (see simd_adam.ts for the
 * pattern): one pass over the logits and targets instead of the eight
 * elementwise kernels of the composite form, whose log and exp are scalar
 * on that backend.
 *
 *   bceRows(l, x, out, rows, vectorBytes, rowBytes, xRowBytes):
 *     out[r] = Σ_c max(l, 0) − l·x + log1p(e^(−|l|)) over the first vectorBytes/4 columns
 *   bceGrad(l, x, dy, out, rows, vectorBytes, rowBytes, xRowBytes):
 *     out[r, c] = (σ(l) − x)·dy[r] over the same columns
 *
 * Offsets in bytes; a row of l (and dy, out) is rowBytes long, and x moves
 * on by xRowBytes per row: rowBytes, or 0 to hold one row of targets
 * against several rows of logits (the samples of an importance-weighted
 * bound). vectorBytes (a multiple of 16) of each row are done here and the
 * rest of the row by the caller.
 *
 * e^(−a) for a ≥ 0: a is clamped to 87 (e^(−87) ≈ 1.6·10⁻³⁸, the smallest
 * normal float32 is 1.2·10⁻³⁸), n = round(−a·log₂e) (see expNegAbs), r = −a − n·ln 2 in two
 * parts (Cody-Waite) so r ∈ [−0.35, 0.35], e^r by its Taylor polynomial to
 * r⁷ (next term < 10⁻⁸), and 2ⁿ built from its exponent bits.
 * log1p(e) for e ∈ (0, 1]: with t = e/(2 + e) ∈ (0, ⅓], log1p(e) =
 * 2·atanh(t) = 2t(1 + t²/3 + t⁴/5 + … + t¹²/13), the next term below 10⁻⁸
 * relatively; t is exact near e = 0, where log1p(e) ≈ e matters.
 * σ(l) = 1/(1 + e) for l ≥ 0 and e/(1 + e) below, never exp of a positive number.
 */
import { I32, instantiateOn, Locals, moduleBytes, op, V128, type FunctionSpec } from '../wasm/assembler.js';

const EXP_COEFFICIENTS = [1, 1, 2, 6, 24, 120, 720, 5040].map((f) => 1 / f);
const ATANH_COEFFICIENTS = [1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11, 1 / 13];
const NAMED = { zero: 0, one: 1, two: 2, clamp: 87, log2e: Math.LOG2E, ln2hi: 0.693359375, ln2lo: -2.12194440e-4, roundingShift: 1.5 * 2 ** 23 };

/** Constants splatted once into v128 locals before the loops (a splat per use costs more than a reload). */
class Constants {
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
function horner(k: Constants, x: number, coefficients: number[]): number[] {
  const code = k.get(coefficients[coefficients.length - 1]);
  for (let i = coefficients.length - 2; i >= 0; i--) code.push(...op.get(x), ...op.f32x4Mul, ...k.get(coefficients[i]), ...op.f32x4Add);
  return code;
}

/** Scratch v128 locals of one vector's computation (two sets let two vectors overlap in the CPU). */
interface Lane {
  l: number;
  a: number;
  b: number;
  e: number;
  acc: number;
}

/**
 * e^(−|l|) of the vector in lane.l, into lane.e. n = round(x·log₂e) by adding
 * 1.5·2²³ (the addition rounds; n sits in the low mantissa bits, so the same
 * bits, shifted, are 2ⁿ's exponent) instead of nearest and a saturating
 * conversion, which V8 expands to several instructions each.
 */
function expNegAbs(k: Constants, v: Lane): number[] {
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

/** log1p(e) for e ∈ [0, 1] in lane.e, on the stack (lane.a and lane.b are scratch). */
function log1pSmall(k: Constants, v: Lane): number[] {
  const { e, a: t, b: s } = v;
  return [
    ...op.get(e), ...op.get(e), ...k.get(NAMED.two), ...op.f32x4Add, ...op.f32x4Div, ...op.set(t),
    ...op.get(t), ...op.get(t), ...op.f32x4Mul, ...op.set(s),
    // 2t + 2t·s·(1/3 + s/5 + … + s⁵/13)
    ...op.get(t), ...op.get(t), ...op.f32x4Add, ...op.tee(t),
    ...op.get(t), ...op.get(s), ...op.f32x4Mul, ...horner(k, s, ATANH_COEFFICIENTS), ...op.f32x4Mul,
    ...op.f32x4Add,
  ];
}

interface Loop {
  rows: number;
  vectorBytes: number;
  row: number;
  c: number;
}

/**
 * for each row: prologue; the row's vectors two at a time (body(lane, byte
 * offset) for both, so their long dependency chains overlap), then one at
 * a time; epilogue; each pointer moves on by its stride (pairs of locals).
 */
function overRows(loop: Loop, lanes: [Lane, Lane], pointers: [number, number][], prologue: number[], body: (v: Lane, offset: number) => number[], epilogue: number[]): number[] {
  const { rows, vectorBytes, row, c } = loop;
  const columns = (width: number, code: number[]) => [
    ...op.block, ...op.loop, ...op.get(c), ...op.i32(width), ...op.i32Add, ...op.get(vectorBytes), ...op.i32GtS, ...op.brIf(1),
    ...code,
    ...op.get(c), ...op.i32(width), ...op.i32Add, ...op.set(c), ...op.br(0), ...op.end, ...op.end,
  ];
  return [
    ...op.i32(0), ...op.set(row),
    ...op.block, ...op.loop, ...op.get(row), ...op.get(rows), ...op.i32GeS, ...op.brIf(1),
    ...prologue,
    ...op.i32(0), ...op.set(c),
    ...columns(32, [...body(lanes[0], 0), ...body(lanes[1], 16)]),
    ...columns(16, body(lanes[0], 0)),
    ...epilogue,
    ...pointers.flatMap(([p, stride]) => [...op.get(p), ...op.get(stride), ...op.i32Add, ...op.set(p)]),
    ...op.get(row), ...op.i32(1), ...op.i32Add, ...op.set(row), ...op.br(0), ...op.end, ...op.end,
  ];
}

const newLane = (locals: Locals): Lane => {
  const [l, a, b, e, acc] = locals.addMany(V128, 5);
  return { l, a, b, e, acc };
};

function bceRows(): FunctionSpec {
  const [L, X, OUT, ROWS, VB, RB, XRB] = [0, 1, 2, 3, 4, 5, 6];
  const locals = new Locals(7);
  const [row, c] = locals.addMany(I32, 2);
  const lanes: [Lane, Lane] = [newLane(locals), newLane(locals)];
  const k = new Constants(locals);
  const at = (base: number, offset: number) => [...op.get(base), ...op.get(c), ...op.i32Add, ...op.v128Load(offset)];
  const body = (v: Lane, offset: number) => [
    ...at(L, offset), ...op.set(v.l),
    ...expNegAbs(k, v),
    // acc += max(l, 0) − l·x + log1p(e)
    ...op.get(v.acc), ...op.get(v.l), ...k.get(NAMED.zero), ...op.f32x4Pmax, ...op.get(v.l), ...at(X, offset), ...op.f32x4Mul, ...op.f32x4Sub,
    ...log1pSmall(k, v), ...op.f32x4Add, ...op.f32x4Add, ...op.set(v.acc),
  ];
  const [first, second] = lanes;
  const prologue = [...op.v128Zero, ...op.set(first.acc), ...op.v128Zero, ...op.set(second.acc)];
  const lane = (i: number) => [...op.get(first.acc), ...op.f32x4ExtractLane(i)];
  const store = [
    ...op.get(first.acc), ...op.get(second.acc), ...op.f32x4Add, ...op.set(first.acc),
    ...op.get(OUT), ...lane(0), ...lane(1), ...op.f32Add, ...lane(2), ...lane(3), ...op.f32Add, ...op.f32Add, ...op.f32Store(),
    ...op.get(OUT), ...op.i32(4), ...op.i32Add, ...op.set(OUT),
  ];
  const code = overRows({ rows: ROWS, vectorBytes: VB, row, c }, lanes, [[L, RB], [X, XRB]], prologue, body, store);
  return { name: 'bceRows', params: [I32, I32, I32, I32, I32, I32, I32], locals: locals.types, body: [...k.setup, ...code] };
}

function bceGrad(): FunctionSpec {
  const [L, X, DY, OUT, ROWS, VB, RB, XRB] = [0, 1, 2, 3, 4, 5, 6, 7];
  const locals = new Locals(8);
  const [row, c] = locals.addMany(I32, 2);
  const lanes: [Lane, Lane] = [newLane(locals), newLane(locals)];
  const dy = locals.add(V128);
  const k = new Constants(locals);
  const at = (base: number) => [...op.get(base), ...op.get(c), ...op.i32Add];
  const body = (v: Lane, offset: number) => [
    ...at(L), ...op.v128Load(offset), ...op.set(v.l),
    ...expNegAbs(k, v),
    // out = (select(l ≥ 0, 1, e) / (1 + e) − x) · dy
    ...at(OUT),
    ...k.get(NAMED.one), ...op.get(v.e), ...op.get(v.l), ...k.get(NAMED.zero), ...op.f32x4Ge, ...op.v128Bitselect,
    ...k.get(NAMED.one), ...op.get(v.e), ...op.f32x4Add, ...op.f32x4Div,
    ...at(X), ...op.v128Load(offset), ...op.f32x4Sub, ...op.get(dy), ...op.f32x4Mul,
    ...op.v128Store(offset),
  ];
  const prologue = [...op.get(DY), ...op.v128Load32Splat(), ...op.set(dy)];
  const next = [...op.get(DY), ...op.i32(4), ...op.i32Add, ...op.set(DY)];
  const code = overRows({ rows: ROWS, vectorBytes: VB, row, c }, lanes, [[L, RB], [X, XRB], [OUT, RB]], prologue, body, next);
  return { name: 'bceGrad', params: [I32, I32, I32, I32, I32, I32, I32, I32], locals: locals.types, body: [...k.setup, ...code] };
}

export function bceModuleBytes(): Uint8Array {
  return moduleBytes([bceRows(), bceGrad()]);
}

export interface SimdBce {
  bceRows(l: number, x: number, out: number, rows: number, vectorBytes: number, rowBytes: number, xRowBytes: number): void;
  bceGrad(l: number, x: number, dy: number, out: number, rows: number, vectorBytes: number, rowBytes: number, xRowBytes: number): void;
}

const cache = new WeakMap<WebAssembly.Memory, SimdBce | null>();

/** The SIMD BCE functions bound to `memory`, or null where WebAssembly SIMD is unavailable. */
export function simdBceFor(memory: WebAssembly.Memory): SimdBce | null {
  return instantiateOn(cache, memory, bceModuleBytes);
}
