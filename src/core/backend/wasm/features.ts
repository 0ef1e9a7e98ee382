/**
 * WebAssembly features beyond SIMD that the generated kernels can use,
 * probed by validating a tiny module (the answer is not cached: in Node the
 * relaxed-SIMD flag may be switched on after the first probe, see
 * `enableRelaxedSimd` in backend/index.ts).
 */
import { moduleBytes, op } from './assembler.js';

/** One function: relaxed_madd(0, 0, 0), dropped. */
const RELAXED_PROBE = moduleBytes([{ params: [], locals: [], body: [...op.v128Zero, ...op.v128Zero, ...op.v128Zero, ...op.f32x4RelaxedMadd, ...op.drop] }]);

/** Whether this engine compiles relaxed-SIMD instructions (f32x4.relaxed_madd). */
export function hasRelaxedSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE as unknown as ArrayBuffer);
}
