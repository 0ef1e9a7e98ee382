/**
 * The driver of the SIMD product: column panels 8 wide, then one 4 wide,
 * then (fewer than four columns left) a scalar loop. Everything works on
 * byte offsets into one WebAssembly memory.
 */
import { GemmActivation, MR, type SimdGemm } from './simd_gemm.js';

export interface GemmProblem {
  /** Byte offset of A: M×K row-major, or K×M when `transA`. */
  a: number;
  /** Byte offset of B: K×N row-major, or N×K when `transB`. */
  b: number;
  /** Byte offset of C, M×N row-major (written, never read). */
  c: number;
  /** Byte offset of N bias values added to every row, or 0 for none. */
  bias: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  /** B stored transposed (N×K); the panels then always read it packed. */
  transB?: boolean;
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

/** Bytes of packed B: its 8-column panels and one more for a 4-column tail (see packB in simd_gemm.ts). */
export function packedBBytes(k: number, n: number): number {
  return 32 * k * (Math.floor(n / 8) + 1);
}

/** Bytes of scratch `gemm` needs: packed A, its compacted copy, the B offsets, the counts, then packed B. */
export function scratchBytes(m: number, k: number, n: number): number {
  return aScratchBytes(m, k) + packedBBytes(k, n);
}

/** The part of the scratch before packed B. */
export function aScratchBytes(m: number, k: number): number {
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

/** B as the panels read it: as stored, or packed (see packB in simd_gemm.ts). */
export interface PreparedB {
  /** Byte offset of the first panel. */
  at: number;
  /** Bytes from one row of a panel to the next. */
  ldb: number;
  /** Bytes from one 8-column panel to the next. */
  step: number;
}

/** Switches for tests and benchmarks. */
export const gemmSettings = {
  /** Leave out the k-steps where a block of A is all zeros (when it pays, see prepareA). */
  skipZeroBlocks: true,
  /** Pack B into panels: 'auto' (see packsB), or always, or never. */
  packB: 'auto' as 'auto' | boolean,
  /** Run tall products with a small B by row blocks (see byRowBlocks). */
  rowBlocks: true,
};

/** Whether B is packed before the panels run (a pass over B, against panels that read it m/MR times). */
export function packsB(m: number, n: number, k: number): boolean {
  if (gemmSettings.packB !== 'auto') return gemmSettings.packB && n >= 4;
  return n >= 4 && m >= 64 && k * n > 0;
}

/**
 * B at byte offset `b` (K×N, or N×K when `transB`) packed into panels at
 * `dst` (packedBBytes(k, n) bytes) when `pack` or `transB`, else as stored.
 */
export function prepareB(fns: SimdGemm, b: number, k: number, n: number, dst: number, pack: boolean, transB = false): PreparedB {
  if (!pack && !transB) return { at: b, ldb: 4 * n, step: 32 };
  const [panels, tail] = [Math.floor(n / 8), n % 8 >= 4 ? 1 : 0];
  if (transB) fns.packBT(b, dst, k, panels, 4 * k, tail);
  else fns.packB(b, dst, k, panels, 4 * n, tail);
  return { at: dst, ldb: 32, step: 32 * k };
}

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

/** Rows [r0, r0 + rows) of op(A) into blocks at dst (see packA in simd_gemm.ts). */
export function packRowsOf(fns: SimdGemm, p: GemmProblem, dst: number, r0: number, rows: number): void {
  // Byte offset of op(A)'s row r0: a column of the stored K×M when transposed.
  const src = p.a + (p.transA ? 4 * r0 : 4 * r0 * p.k);
  fns.packRows(src, dst, rows, p.k, p.transA ? p.m : p.k, p.transA ? 1 : 0);
}

/** Pack op(A) into `scratch` and compact it when it is sparse enough (B's rows `ldb` bytes apart). */
export function prepareA(fns: SimdGemm, memory: WebAssembly.Memory, p: GemmProblem, scratch: number, ldb: number): PreparedA {
  const { m, k } = p;
  packRowsOf(fns, p, scratch, 0, m);
  const dense: PreparedA = { at: scratch, sparse: false, idx: 0, counts: 0 };
  if (!gemmSettings.skipZeroBlocks || k < 8 || zeroBlockShare(memory, p) < ZERO_BLOCK_SHARE_TO_TRY) return dense;
  const out = scratch + packedBytes(m, k);
  const idx = out + packedBytes(m, k);
  const counts = idx + 4 * blocksOf(m) * k;
  fns.compactA(scratch, m, k, out, idx, counts, ldb);
  const kept = new Int32Array(memory.buffer, counts, blocksOf(m)).reduce((a, b) => a + b, 0);
  return kept <= STEPS_SHARE_TO_USE * blocksOf(m) * k ? { at: out, sparse: true, idx, counts } : dense;
}

/**
 * Row blocks. Panel by panel, every 8 columns read all of packed A again:
 * for a tall A and a small B, such as a convolution's patches times its
 * filter (6,272×288·288×64 in the 28×28 conv VAE), that streams 7 MB from
 * memory eight times, and the packing pass before it a ninth. Block by
 * block, a few dozen rows of op(A) are packed into a buffer that stays in
 * cache while every panel runs over them, and B stays in L2 across blocks;
 * threads take blocks, each packing its own. Each value of C is the same
 * micro-kernel's sum over the same k either way, so the bits are the same.
 */
const ROW_BLOCK_BYTES = 64 * 1024;
/** Row blocks only where B fits L2 (it is read once per block) ... */
const ROW_MODE_MAX_B_BYTES = 512 * 1024;
/** ... and packed A does not fit it. */
const ROW_MODE_MIN_A_BYTES = 512 * 1024;

/** Rows per row block: about ROW_BLOCK_BYTES of packed A, 16 to 512 rows. */
export function rowBlockRows(k: number): number {
  return MR * Math.max(4, Math.min(128, Math.floor(ROW_BLOCK_BYTES / (4 * MR * Math.max(1, k)))));
}

/** Whether the product runs row block by row block (see ROW_BLOCK_BYTES) rather than panel by panel. */
export function byRowBlocks(m: number, n: number, k: number): boolean {
  return gemmSettings.rowBlocks && n >= 8 && 4 * k * n <= ROW_MODE_MAX_B_BYTES && packedBytes(m, k) >= ROW_MODE_MIN_A_BYTES;
}

/** Rows [r0, r0 + rows) of C, all but the last n mod 4 columns: those rows of op(A) packed at `block`, then every panel over them. */
export function runRowBlock(fns: SimdGemm, p: GemmProblem, b: PreparedB, r0: number, rows: number, block: number): void {
  packRowsOf(fns, p, block, r0, rows);
  const ldc = 4 * p.n;
  fns.panels(block, b.at, p.c + r0 * ldc, p.bias, p.k, 0, b.ldb, ldc, p.activation, p.alpha, rows, p.n - (p.n % 4), b.step);
}

/** Column panels [from, to) of 8 columns each, then (`tail`) one of 4 when 4 or more columns are left. */
export function runPanels(fns: SimdGemm, a: PreparedA, b: PreparedB, p: GemmProblem, from: number, to: number, tail = false): void {
  const ldc = 4 * p.n;
  const columns = 8 * (to - from) + (tail && p.n % 8 >= 4 ? 4 : 0);
  if (!a.sparse) {
    const bias = p.bias && p.bias + 32 * from;
    fns.panels(a.at, b.at + b.step * from, p.c + 32 * from, bias, p.k, 0, b.ldb, ldc, p.activation, p.alpha, p.m, columns, b.step);
    return;
  }
  for (let q = from; 8 * (q - from) < columns; q++) {
    const j = 8 * q;
    const bias = p.bias && p.bias + 4 * j;
    const panel = 8 * (q - from) + 8 <= columns ? fns.panel8sparse : fns.panel4sparse;
    panel(a.at, b.at + b.step * q, p.c + 4 * j, bias, p.k, 0, b.ldb, ldc, p.activation, p.alpha, p.m, a.idx, a.counts);
  }
}

/** The last n mod 4 columns, which no panel covers. */
export function runScalarTail(memory: WebAssembly.Memory, p: GemmProblem): void {
  if (p.n % 4 !== 0) scalarColumns(new Float32Array(memory.buffer), p, p.n - (p.n % 4));
}

/** C = act(op(A)·B + bias) on `memory`; `scratch` is the byte offset of scratchBytes(m, k, n) free bytes. */
export function gemm(fns: SimdGemm, memory: WebAssembly.Memory, p: GemmProblem, scratch: number): void {
  if (p.m === 0 || p.n === 0) return;
  const b = prepareB(fns, p.b, p.k, p.n, scratch + aScratchBytes(p.m, p.k), packsB(p.m, p.n, p.k), p.transB);
  if (byRowBlocks(p.m, p.n, p.k)) {
    const rows = rowBlockRows(p.k);
    for (let r0 = 0; r0 < p.m; r0 += rows) runRowBlock(fns, p, b, r0, Math.min(rows, p.m - r0), scratch);
  } else {
    runPanels(fns, prepareA(fns, memory, p, scratch, b.ldb), b, p, 0, Math.floor(p.n / 8), true);
  }
  runScalarTail(memory, p);
}

/** Columns [j0, n) of C one value at a time (at most three columns), on a float32 view of the memory. */
export function scalarColumns(heap: Float32Array, p: GemmProblem, j0: number): void {
  const { m, n, k } = p;
  const [a, b, c, bias] = [p.a >> 2, p.b >> 2, p.c >> 2, p.bias >> 2];
  // Element (i, kk) of op(A), element (kk, j) of B.
  const [rowStride, kStride] = p.transA ? [1, m] : [k, 1];
  const [bk, bj] = p.transB ? [1, k] : [n, 1];
  for (let i = 0; i < m; i++) {
    for (let j = j0; j < n; j++) {
      let sum = 0;
      for (let kk = 0; kk < k; kk++) sum += heap[a + i * rowStride + kk * kStride] * heap[b + kk * bk + j * bj];
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
