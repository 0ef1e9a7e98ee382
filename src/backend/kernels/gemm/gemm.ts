/**
 * The driver of the SIMD product: column panels 8 wide, then one 4 wide,
 * then (fewer than four columns left) a scalar loop. Everything works on
 * byte offsets into one WebAssembly memory.
 */
import { GemmActivation, MR, type SimdGemm } from './simd_gemm.js';

export interface GemmProblem {
  /** Byte offset of A: M×K row-major, or K×M when `transA`. */
  a: number;
  /** Byte offset of B, K×N row-major. */
  b: number;
  /** Byte offset of C, M×N row-major (written, never read). */
  c: number;
  /** Byte offset of N bias values added to every row, or 0 for none. */
  bias: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  activation: GemmActivation;
  /** Slope of LeakyRelu (0 ≤ α ≤ 1). */
  alpha: number;
}

/** Bytes of scratch `gemm` needs for packed A. */
export function packedBytes(m: number, k: number): number {
  return 4 * Math.ceil(m / MR) * MR * k;
}

/** C = act(op(A)·B + bias) on `memory`; `scratch` is the byte offset of packedBytes(m, k) free bytes. */
export function gemm(fns: SimdGemm, memory: WebAssembly.Memory, p: GemmProblem, scratch: number): void {
  const { m, n, k } = p;
  if (m === 0 || n === 0) return;
  // Byte strides of op(A)'s rows and of its k.
  const [rowStride, kStride] = p.transA ? [4, 4 * m] : [4 * k, 4];
  fns.packA(p.a, scratch, m, k, rowStride, kStride);
  const [ldb, ldc] = [4 * n, 4 * n];
  let j = 0;
  for (; j + 8 <= n; j += 8) fns.panel8(scratch, p.b + 4 * j, p.c + 4 * j, p.bias && p.bias + 4 * j, k, 0, ldb, ldc, p.activation, p.alpha, m);
  if (j + 4 <= n) {
    fns.panel4(scratch, p.b + 4 * j, p.c + 4 * j, p.bias && p.bias + 4 * j, k, 0, ldb, ldc, p.activation, p.alpha, m);
    j += 4;
  }
  if (j < n) scalarColumns(new Float32Array(memory.buffer), p, j);
}

/** Columns [j0, n) of C one value at a time (at most three columns), on a float32 view of the memory. */
export function scalarColumns(heap: Float32Array, p: GemmProblem, j0: number): void {
  const { m, n, k } = p;
  const [a, b, c, bias] = [p.a >> 2, p.b >> 2, p.c >> 2, p.bias >> 2];
  // Element (i, kk) of op(A).
  const [rowStride, kStride] = p.transA ? [1, m] : [k, 1];
  for (let i = 0; i < m; i++) {
    for (let j = j0; j < n; j++) {
      let sum = 0;
      for (let kk = 0; kk < k; kk++) sum += heap[a + i * rowStride + kk * kStride] * heap[b + kk * n + j];
      if (p.bias) sum += heap[bias + j];
      heap[c + i * n + j] = activate(Math.fround(sum), p.activation, p.alpha);
    }
  }
}

function activate(x: number, activation: GemmActivation, alpha: number): number {
  if (activation === GemmActivation.Relu) return x < 0 ? 0 : x;
  if (activation === GemmActivation.LeakyRelu) return x < alpha * x ? alpha * x : x;
  return x;
}
