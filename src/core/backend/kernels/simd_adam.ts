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
 * processes `bytes` (a multiple of 16) from each byte offset, in float32
 * (adam2 takes g as γ₀g₀ + γ₁g₁):
 *   m' = β₁m + (1−β₁)g;  v' = β₂v + (1−β₂)g²;  w' = w − k·m' / (√(v'·r) + ε).
 */

import { F32, I32, instantiateOn, Locals, moduleBytes, op, V128, type FunctionSpec, type ValueType } from '../wasm/assembler.js';

/** β₁, 1−β₁, β₂, 1−β₂, lr/(1−β₁ᵗ), 1/(1−β₂ᵗ), ε. */
const CONSTANTS = 7;

/**
 * adam (one gradient) or adam2 (the gradient is γ₀g₀ + γ₁g₁, e.g. the
 * average of two data-parallel shards, so summing them costs no pass of
 * its own). Parameters: byte offsets of w, the gradient(s), m, v, w', m',
 * v'; the byte count; the seven constants; then γ₀, γ₁ for adam2.
 */
function adamFunction(gradients: 1 | 2): FunctionSpec {
  const pointers = 6 + gradients;
  const params: ValueType[] = [...Array<ValueType>(pointers + 1).fill(I32), ...Array<ValueType>(CONSTANTS + (gradients === 2 ? 2 : 0)).fill(F32)];
  const W = 0;
  const G = Array.from({ length: gradients }, (_, i) => 1 + i);
  const [M, V, WO, MO, VO, BYTES] = [1, 2, 3, 4, 5, 6].map((i) => gradients + i);
  const firstConstant = pointers + 1;
  const locals = new Locals(params.length);
  const I = locals.add(I32);
  const [GV, MV, VV] = locals.addMany(V128, 3);
  const splat = locals.addMany(V128, CONSTANTS + (gradients === 2 ? 2 : 0));
  const [B1, A1, B2, A2, K, R, EPS, GAMMA0, GAMMA1] = splat;

  /** Push the v128 at base + i. */
  const load = (base: number) => [...op.get(base), ...op.get(I), ...op.i32Add, ...op.v128Load()];
  /** Address base + i (the value to store follows). */
  const addr = (base: number) => [...op.get(base), ...op.get(I), ...op.i32Add];
  const gradient = gradients === 1 ? load(G[0]) : [...op.get(GAMMA0), ...load(G[0]), ...op.f32x4Mul, ...op.get(GAMMA1), ...load(G[1]), ...op.f32x4Mul, ...op.f32x4Add];

  const splats = splat.flatMap((local, k) => [...op.get(firstConstant + k), ...op.f32x4Splat, ...op.set(local)]);
  const step = [
    ...gradient, ...op.set(GV),
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
  return { name: gradients === 1 ? 'adam' : 'adam2', params, locals: locals.types, body: [...splats, ...loop] };
}


export function adamModuleBytes(): Uint8Array {
  return moduleBytes([adamFunction(1), adamFunction(2)]);
}

export type SimdAdam = (w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, bytes: number, b1: number, a1: number, b2: number, a2: number, k: number, r: number, eps: number) => void;

export type SimdAdam2 = (w: number, g0: number, g1: number, m: number, v: number, wOut: number, mOut: number, vOut: number, bytes: number, b1: number, a1: number, b2: number, a2: number, k: number, r: number, eps: number, gamma0: number, gamma1: number) => void;

const cache = new WeakMap<WebAssembly.Memory, { adam: SimdAdam; adam2: SimdAdam2 } | null>();

/** The SIMD Adam functions bound to `memory`, or null where WebAssembly SIMD is unavailable. */
export function simdAdamFor(memory: WebAssembly.Memory): { adam: SimdAdam; adam2: SimdAdam2 } | null {
  return instantiateOn(cache, memory, adamModuleBytes);
}
