/**
 * Batch normalisation over the rows of x [rows, channels] (NHWC flattened)
 * as four hand-assembled WebAssembly SIMD functions on the tfjs wasm
 * backend's heap (see simd_adam.ts for the pattern). Byte offsets; a row is
 * rowBytes long (a multiple of 16: the channels come four to a vector);
 * k is a per-channel vector of the same length.
 *
 *   centredSums(u, k, s, q, rows, rowBytes):    s = Σ_r (u − k),  q = Σ_r (u − k)²
 *   crossSums(dy, x, k, s, q, rows, rowBytes):  s = Σ_r dy,       q = Σ_r dy·(x − k)
 *   scaleShift(x, k, a, b, out, rows, rowBytes):        out = (x − k)·a + b
 *   scaleShift2(dy, x, k, p, q, r, out, rows, rowBytes): out = dy·p + (x − k)·q + r
 *
 * The sums run in float32 down each channel; the caller keeps blocks short
 * and adds the blocks' sums in float64.
 */
import { I32, instantiateOn, Locals, moduleBytes, op, V128, type FunctionSpec } from '../wasm/assembler.js';

/** while (i < limit) { body; i += step } */
function loopUpTo(i: number, limit: number, step: number | number[], body: number[]): number[] {
  const advance = typeof step === 'number' ? op.i32(step) : step;
  return [...op.block, ...op.loop, ...op.get(i), ...op.get(limit), ...op.i32GeS, ...op.brIf(1), ...body, ...op.get(i), ...advance, ...op.i32Add, ...op.set(i), ...op.br(0), ...op.end, ...op.end];
}

/**
 * Per-channel sums down the rows: for each vector of channels c, two
 * accumulators over the rows (`terms` pushes the two addends, reading at
 * byte `at` of a row plus c), stored at s + c and q + c.
 */
function sumsFunction(name: string, pointers: number, terms: (at: (base: number) => number[], c: number) => { s: number[]; q: number[] }): FunctionSpec {
  const S = pointers;
  const [Q, ROWS, RB] = [S + 1, S + 2, S + 3];
  const locals = new Locals(S + 4);
  const [c, at, end] = locals.addMany(I32, 3);
  const [accS, accQ] = locals.addMany(V128, 2);
  const read = (base: number) => [...op.get(base), ...op.get(at), ...op.i32Add, ...op.v128Load()];
  const { s, q } = terms(read, c);
  const down = loopUpTo(at, end, [...op.get(RB)], [...op.get(accS), ...s, ...op.f32x4Add, ...op.set(accS), ...op.get(accQ), ...q, ...op.f32x4Add, ...op.set(accQ)]);
  const body = [
    ...op.get(ROWS), ...op.get(RB), ...op.i32Mul, ...op.set(end),
    ...op.i32(0), ...op.set(c),
    ...loopUpTo(c, RB, 16, [
      ...op.v128Zero, ...op.set(accS), ...op.v128Zero, ...op.set(accQ),
      // `at` walks one channel vector down the rows: c, c + rowBytes, …
      ...op.get(c), ...op.set(at), ...op.get(end), ...op.get(c), ...op.i32Add, ...op.set(end),
      ...down,
      ...op.get(end), ...op.get(c), ...op.i32Sub, ...op.set(end),
      ...op.get(S), ...op.get(c), ...op.i32Add, ...op.get(accS), ...op.v128Store(),
      ...op.get(Q), ...op.get(c), ...op.i32Add, ...op.get(accQ), ...op.v128Store(),
    ]),
  ];
  return { name, params: Array(S + 4).fill(I32), locals: locals.types, body };
}

/** Push the per-channel vector at base + c. */
const channel = (base: number, c: number) => [...op.get(base), ...op.get(c), ...op.i32Add, ...op.v128Load()];

function centredSums(): FunctionSpec {
  const [U, K] = [0, 1];
  return sumsFunction('centredSums', 2, (at, c) => {
    const d = [...at(U), ...channel(K, c), ...op.f32x4Sub];
    return { s: d, q: [...d, ...d, ...op.f32x4Mul] };
  });
}

function crossSums(): FunctionSpec {
  const [DY, X, K] = [0, 1, 2];
  return sumsFunction('crossSums', 3, (at, c) => ({ s: at(DY), q: [...at(DY), ...at(X), ...channel(K, c), ...op.f32x4Sub, ...op.f32x4Mul] }));
}

/**
 * Row by row, out = value(read) over each vector of channels, where `read`
 * pushes the vector of a row input and `per` that of a per-channel one.
 */
function mapFunction(name: string, inputs: number, value: (read: (base: number) => number[], per: (base: number) => number[]) => number[]): FunctionSpec {
  const OUT = inputs;
  const [ROWS, RB] = [OUT + 1, OUT + 2];
  const locals = new Locals(OUT + 3);
  const [row, c, offset] = locals.addMany(I32, 3);
  const read = (base: number) => [...op.get(base), ...op.get(offset), ...op.i32Add, ...op.get(c), ...op.i32Add, ...op.v128Load()];
  const per = (base: number) => channel(base, c);
  const store = [...op.get(OUT), ...op.get(offset), ...op.i32Add, ...op.get(c), ...op.i32Add, ...value(read, per), ...op.v128Store()];
  const body = [
    ...op.i32(0), ...op.set(row), ...op.i32(0), ...op.set(offset),
    ...loopUpTo(row, ROWS, 1, [
      ...op.i32(0), ...op.set(c),
      ...loopUpTo(c, RB, 16, store),
      ...op.get(offset), ...op.get(RB), ...op.i32Add, ...op.set(offset),
    ]),
  ];
  return { name, params: Array(OUT + 3).fill(I32), locals: locals.types, body };
}

function scaleShift(): FunctionSpec {
  const [X, K, A, B] = [0, 1, 2, 3];
  return mapFunction('scaleShift', 4, (read, per) => [...read(X), ...per(K), ...op.f32x4Sub, ...per(A), ...op.f32x4Mul, ...per(B), ...op.f32x4Add]);
}

function scaleShift2(): FunctionSpec {
  const [DY, X, K, P, Q, R] = [0, 1, 2, 3, 4, 5];
  return mapFunction('scaleShift2', 6, (read, per) => [
    ...read(DY), ...per(P), ...op.f32x4Mul,
    ...read(X), ...per(K), ...op.f32x4Sub, ...per(Q), ...op.f32x4Mul, ...op.f32x4Add,
    ...per(R), ...op.f32x4Add,
  ]);
}

export function batchNormModuleBytes(): Uint8Array {
  return moduleBytes([centredSums(), crossSums(), scaleShift(), scaleShift2()]);
}

export interface SimdBatchNorm {
  centredSums(u: number, k: number, s: number, q: number, rows: number, rowBytes: number): void;
  crossSums(dy: number, x: number, k: number, s: number, q: number, rows: number, rowBytes: number): void;
  scaleShift(x: number, k: number, a: number, b: number, out: number, rows: number, rowBytes: number): void;
  scaleShift2(dy: number, x: number, k: number, p: number, q: number, r: number, out: number, rows: number, rowBytes: number): void;
}

const cache = new WeakMap<WebAssembly.Memory, SimdBatchNorm | null>();

/** The SIMD batch-norm functions bound to `memory`, or null where WebAssembly SIMD is unavailable. */
export function simdBatchNormFor(memory: WebAssembly.Memory): SimdBatchNorm | null {
  return instantiateOn(cache, memory, batchNormModuleBytes);
}
