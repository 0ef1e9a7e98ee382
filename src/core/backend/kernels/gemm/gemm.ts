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

/** Blocks of MR rows in an m-row A. */
const blocksOf = (m: number) => Math.ceil(m / MR);

/** Bytes of packed A. */
export function packedBytes(m: number, k: number): number {
  return 4 * blocksOf(m) * MR * k;
}

/** Bytes of scratch `gemm` needs: packed A, its compacted copy, the B offsets and the counts. */
export function scratchBytes(m: number, k: number): number {
  return 2 * packedBytes(m, k) + 4 * blocksOf(m) * k + 4 * blocksOf(m);
}

/** A as the panels read it: packed, and compacted (all-zero k-steps left out) when that pays. */
export interface PreparedA {
  /** Byte offset of the blocks the panels read. */
  at: number;
  sparse: boolean;
  /** With `sparse`: byte offsets of the B offsets and of the per-block step counts. */
  idx: number;
  counts: number;
}

/** Switches for tests and benchmarks. */
export const gemmSettings = {
  /** Leave out the k-steps where a block of A is all zeros (when it pays, see prepareA). */
  skipZeroBlocks: true,
};

/**
 * Compacting pays when a sample finds at least this share of A's k-steps all
 * zero in their block of MR rows (a ReLU output is half zeros, but rarely
 * four rows at once, and a compaction pass that saves nothing costs about as
 * much as packing) ...
 */
const ZERO_BLOCK_SHARE_TO_TRY = 0.2;
/** ... and the compacted blocks keep at most this share of the k-steps. */
const STEPS_SHARE_TO_USE = 0.8;
const SAMPLE = 512;

/** Share of all-zero (block, k) steps among SAMPLE pseudo-random ones of op(A) (full blocks only). */
function zeroBlockShare(memory: WebAssembly.Memory, p: GemmProblem): number {
  const blocks = Math.floor(p.m / MR);
  if (blocks === 0 || p.k === 0) return 0;
  const values = new Float32Array(memory.buffer, p.a, p.m * p.k);
  // Element (i, kk) of op(A) is at i·rowStride + kk·kStride.
  const [rowStride, kStride] = p.transA ? [1, p.m] : [p.k, 1];
  let seed = 12345;
  let zeros = 0;
  for (let s = 0; s < SAMPLE; s++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const i = MR * (seed % blocks);
    const kk = (seed >>> 8) % p.k;
    let all = true;
    for (let r = 0; r < MR && all; r++) all = values[(i + r) * rowStride + kk * kStride] === 0;
    if (all) zeros++;
  }
  return zeros / SAMPLE;
}

/** op(A) into blocks (see packA in simd_gemm.ts): whole blocks with SIMD, the last partial one value by value. */
function packOperandA(fns: SimdGemm, p: GemmProblem, dst: number, rowStride: number, kStride: number): void {
  const { m, k } = p;
  const blocks = Math.floor(m / MR);
  if (blocks > 0 && k > 0) {
    if (p.transA) fns.packBlocksT(p.a, dst, blocks, k, m);
    else fns.packBlocksN(p.a, dst, blocks, k, k - (k % 4));
  }
  const done = blocks * MR;
  if (done < m) fns.packA(p.a + done * rowStride, dst + blocks * MR * 4 * k, m - done, k, rowStride, kStride);
}

/** Pack op(A) into `scratch` (scratchBytes(m, k) bytes) and compact it when it is sparse enough. */
export function prepareA(fns: SimdGemm, memory: WebAssembly.Memory, p: GemmProblem, scratch: number): PreparedA {
  const { m, k } = p;
  // Byte strides of op(A)'s rows and of its k.
  const [rowStride, kStride] = p.transA ? [4, 4 * m] : [4 * k, 4];
  packOperandA(fns, p, scratch, rowStride, kStride);
  const dense: PreparedA = { at: scratch, sparse: false, idx: 0, counts: 0 };
  if (!gemmSettings.skipZeroBlocks || k < 8 || zeroBlockShare(memory, p) < ZERO_BLOCK_SHARE_TO_TRY) return dense;
  const out = scratch + packedBytes(m, k);
  const idx = out + packedBytes(m, k);
  const counts = idx + 4 * blocksOf(m) * k;
  fns.compactA(scratch, m, k, out, idx, counts, 4 * p.n);
  const kept = new Int32Array(memory.buffer, counts, blocksOf(m)).reduce((a, b) => a + b, 0);
  return kept <= STEPS_SHARE_TO_USE * blocksOf(m) * k ? { at: out, sparse: true, idx, counts } : dense;
}

/** Column panels [from, to) of 8 columns each. */
export function runPanels8(fns: SimdGemm, a: PreparedA, p: GemmProblem, from: number, to: number): void {
  const ld = 4 * p.n;
  for (let q = from; q < to; q++) {
    const j = 8 * q;
    const bias = p.bias && p.bias + 4 * j;
    if (a.sparse) fns.panel8sparse(a.at, p.b + 4 * j, p.c + 4 * j, bias, p.k, 0, ld, ld, p.activation, p.alpha, p.m, a.idx, a.counts);
    else fns.panel8(a.at, p.b + 4 * j, p.c + 4 * j, bias, p.k, 0, ld, ld, p.activation, p.alpha, p.m);
  }
}

/** The columns past the last full 8-column panel: one 4-column panel, then scalars. */
export function runTail(fns: SimdGemm, memory: WebAssembly.Memory, a: PreparedA, p: GemmProblem): void {
  let j = 8 * Math.floor(p.n / 8);
  const ld = 4 * p.n;
  if (j + 4 <= p.n) {
    const bias = p.bias && p.bias + 4 * j;
    if (a.sparse) fns.panel4sparse(a.at, p.b + 4 * j, p.c + 4 * j, bias, p.k, 0, ld, ld, p.activation, p.alpha, p.m, a.idx, a.counts);
    else fns.panel4(a.at, p.b + 4 * j, p.c + 4 * j, bias, p.k, 0, ld, ld, p.activation, p.alpha, p.m);
    j += 4;
  }
  if (j < p.n) scalarColumns(new Float32Array(memory.buffer), p, j);
}

/** C = act(op(A)·B + bias) on `memory`; `scratch` is the byte offset of scratchBytes(m, k) free bytes. */
export function gemm(fns: SimdGemm, memory: WebAssembly.Memory, p: GemmProblem, scratch: number): void {
  if (p.m === 0 || p.n === 0) return;
  const a = prepareA(fns, memory, p, scratch);
  runPanels8(fns, a, p, 0, Math.floor(p.n / 8));
  runTail(fns, memory, a, p);
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

/** dst (cols×rows) = the rows×cols matrix at src transposed, byte offsets on `memory`: 4×4 SIMD blocks, then the edges. */
export function transposeMatrix(fns: SimdGemm, memory: WebAssembly.Memory, src: number, dst: number, rows: number, cols: number): void {
  const [rows4, cols4] = [rows - (rows % 4), cols - (cols % 4)];
  if (rows4 > 0 && cols4 > 0) fns.transpose(src, dst, rows4, cols4, cols, rows);
  if (rows4 === rows && cols4 === cols) return;
  const heap = new Float32Array(memory.buffer);
  const [s, d] = [src >> 2, dst >> 2];
  for (let i = 0; i < rows; i++) {
    // Columns past the last block in every row, and every column of the rows past the last block.
    for (let j = i < rows4 ? cols4 : 0; j < cols; j++) heap[d + j * rows + i] = heap[s + i * cols + j];
  }
}
