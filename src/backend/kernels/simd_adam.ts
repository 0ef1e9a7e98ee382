/**
 * The Adam update as a small hand-assembled WebAssembly SIMD function that
 * works directly on the tfjs wasm backend's heap (it imports the backend's
 * memory), four floats per instruction.
 *
 * Why: a scalar JavaScript loop over the ~650k parameters of the default VAE
 * is no faster than TensorFlow.js's dozen SIMD elementwise kernels; the same
 * single pass in SIMD is several times faster than either. No compiler is
 * needed: the module is ~200 bytes, assembled below (src/backend/wasm/assembler.ts),
 * and validated by WebAssembly itself when it is compiled.
 *
 * adam(w, g, m, v, wOut, mOut, vOut, bytes, β₁, 1−β₁, β₂, 1−β₂, lr/(1−β₁ᵗ), 1/(1−β₂ᵗ), ε)
 * processes `bytes` (a multiple of 16) from each byte offset, in float32:
 *   m' = β₁m + (1−β₁)g;  v' = β₂v + (1−β₂)g²;  w' = w − k·m' / (√(v'·r) + ε).
 */

import { F32, I32, instantiateOn, moduleBytes, op, V128, type ValueType } from '../wasm/assembler.js';

// Parameters 0..6 are byte offsets (w, g, m, v, wOut, mOut, vOut), 7 the byte count, 8..14 the f32 constants.
const [W, G, M, V, WO, MO, VO, BYTES] = [0, 1, 2, 3, 4, 5, 6, 7];
const FIRST_CONSTANT = 8;
const CONSTANTS = 7;
// Locals: i (i32), then v128: g, m', v', and the seven splatted constants.
const I = 15;
const [GV, MV, VV] = [16, 17, 18];
const SPLAT = 19; // SPLAT + k holds constant k splatted
const [B1, A1, B2, A2, K, R, EPS] = [0, 1, 2, 3, 4, 5, 6].map((k) => SPLAT + k);

/** Push the v128 at base + i. */
const load = (base: number) => [...op.get(base), ...op.get(I), ...op.i32Add, ...op.v128Load()];
/** Address base + i (the value to store follows). */
const addr = (base: number) => [...op.get(base), ...op.get(I), ...op.i32Add];

function body(): number[] {
  const splats = Array.from({ length: CONSTANTS }, (_, k) => [...op.get(FIRST_CONSTANT + k), ...op.f32x4Splat, ...op.set(SPLAT + k)]).flat();
  const step = [
    ...load(G), ...op.set(GV),
    // m' = β₁·m + (1−β₁)·g
    ...op.get(B1), ...load(M), ...op.f32x4Mul, ...op.get(A1), ...op.get(GV), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(MV),
    // v' = β₂·v + (1−β₂)·g·g
    ...op.get(B2), ...load(V), ...op.f32x4Mul, ...op.get(A2), ...op.get(GV), ...op.get(GV), ...op.f32x4Mul, ...op.f32x4Mul, ...op.f32x4Add, ...op.set(VV),
    ...addr(MO), ...op.get(MV), ...op.v128Store(),
    ...addr(VO), ...op.get(VV), ...op.v128Store(),
    // w' = w − k·m' / (√(v'·r) + ε)
    ...addr(WO), ...load(W), ...op.get(K), ...op.get(MV), ...op.f32x4Mul,
    ...op.get(VV), ...op.get(R), ...op.f32x4Mul, ...op.f32x4Sqrt, ...op.get(EPS), ...op.f32x4Add, ...op.f32x4Div, ...op.f32x4Sub, ...op.v128Store(),
  ];
  const loop = [
    ...op.block, ...op.loop,
    ...op.get(I), ...op.get(BYTES), ...op.i32GeU, ...op.brIf(1),
    ...step,
    ...op.get(I), ...op.i32(16), ...op.i32Add, ...op.set(I),
    ...op.br(0), ...op.end, ...op.end,
  ];
  return [...splats, ...loop];
}

export function adamModuleBytes(): Uint8Array {
  const params: ValueType[] = [...Array<ValueType>(8).fill(I32), ...Array<ValueType>(CONSTANTS).fill(F32)];
  const locals: ValueType[] = [I32, ...Array<ValueType>(3 + CONSTANTS).fill(V128)];
  return moduleBytes([{ name: 'adam', params, locals, body: body() }]);
}

export type SimdAdam = (w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, bytes: number, b1: number, a1: number, b2: number, a2: number, k: number, r: number, eps: number) => void;

const cache = new WeakMap<WebAssembly.Memory, { adam: SimdAdam } | null>();

/** The SIMD Adam function bound to `memory`, or null where WebAssembly SIMD is unavailable. */
export function simdAdamFor(memory: WebAssembly.Memory): SimdAdam | null {
  return instantiateOn(cache, memory, adamModuleBytes)?.adam ?? null;
}
