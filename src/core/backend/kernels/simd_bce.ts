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
 * e^(−|l|) and σ(l) as in ../wasm/simd_math.ts.
 * log1p(e) for e ∈ (0, 1]: with t = e/(2 + e) ∈ (0, ⅓], log1p(e) =
 * 2·atanh(t) = 2t(1 + t²/3 + t⁴/5 + … + t¹²/13), the next term below 10⁻⁸
 * relatively; t is exact near e = 0, where log1p(e) ≈ e matters.
 */
import { I32, instantiateOn, Locals, moduleBytes, op, V128, type FunctionSpec } from '../wasm/assembler.js';
import { Constants, expNegAbs, horner, NAMED, newLane, sigmoid, type Lane } from '../wasm/simd_math.js';

const ATANH_COEFFICIENTS = [1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11, 1 / 13];

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

/** bceRows as a function spec, also part of the matrix product's module so its helper threads can run it. */
export function bceRowsFunction(): FunctionSpec {
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
    // out = (σ(l) − x) · dy
    ...at(OUT),
    ...sigmoid(k, v),
    ...at(X), ...op.v128Load(offset), ...op.f32x4Sub, ...op.get(dy), ...op.f32x4Mul,
    ...op.v128Store(offset),
  ];
  const prologue = [...op.get(DY), ...op.v128Load32Splat(), ...op.set(dy)];
  const next = [...op.get(DY), ...op.i32(4), ...op.i32Add, ...op.set(DY)];
  const code = overRows({ rows: ROWS, vectorBytes: VB, row, c }, lanes, [[L, RB], [X, XRB], [OUT, RB]], prologue, body, next);
  return { name: 'bceGrad', params: [I32, I32, I32, I32, I32, I32, I32, I32], locals: locals.types, body: [...k.setup, ...code] };
}

export function bceModuleBytes(): Uint8Array {
  return moduleBytes([bceRowsFunction(), bceGrad()]);
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
