/**
 * A float32 matrix product in WebAssembly SIMD, generated at load time and
 * run on the tfjs wasm backend's heap: C = act(op(A)·B + bias).
 *
 * Why not XNNPACK (the wasm backend's own BatchMatMul): it is fast only when
 * neither operand is transposed, and it builds an operator (a packed copy of
 * B) on every call whose B it has not seen before, which in training is
 * every call; for the shapes of a dense layer that costs a large part of the
 * product itself (see docs/guides/performance.md). This module packs A into
 * blocks of MR rows (`packA`, `packRows`) from either layout: M×K, or K×M
 * for the Xᵀ·dY of a weight gradient; and B, once per product, into
 * contiguous panels (`packB`, or `packBT` from an N×K B), or reads it as
 * stored where packing does not pay (see gemm.ts).
 *
 * Layout of the work: the output is cut into column panels 8 (or 4) floats
 * wide; a panel function walks down the rows MR at a time, and each tile is
 * one call of a micro-kernel holding an MR×8 block of C in SIMD
 * registers while it runs over k: per k, two 4-float loads of B, MR
 * broadcasts of A, 2·MR multiplies and adds. MR = 4 keeps 8 accumulators,
 * 2 B vectors and a broadcast in registers (V8 gives wasm 16 on x64); 5 and
 * 6 rows spill and measured slower.
 *
 * Where the engine has relaxed SIMD, multiply and add are one
 * `f32x4.relaxed_madd`, which V8 compiles to an FMA instruction on CPUs
 * that have one: ~49 against ~42 GFLOP/s on the training step's products
 * here, at the 128-bit FMA throughput of one core. A fused multiply-add
 * rounds once, so its results differ from the unfused module's in the last
 * bits (both are tested against a float64 product).
 */
import { F32, I32, instantiateOn, Locals, moduleBytes, op, V128, type FunctionSpec, type ValueType } from '../../wasm/assembler.js';
import { hasRelaxedSimd } from '../../wasm/features.js';
import { bceRowsFunction } from '../simd_bce.js';
import { col2imFunction, im2colFunction } from '../simd_im2col.js';

/** Rows of C per micro-kernel call. */
export const MR = 4;

/** Activations applied in the epilogue (codes passed to the panel functions). */
export const enum GemmActivation {
  Linear = 0,
  Relu = 1,
  /** max(x, αx) for 0 ≤ α ≤ 1. */
  LeakyRelu = 2,
}

// Parameters shared by micro-kernels and panels (byte offsets and byte strides).
const KERNEL_PARAMS: ValueType[] = [I32, I32, I32, I32, I32, I32, I32, I32, I32, F32];
const [A, B, C, BIAS, K, LDA, LDB, LDC, ACT, ALPHA] = KERNEL_PARAMS.map((_, i) => i);

/** How the module is generated. */
export interface GemmCodegen {
  /** Multiply-add as one relaxed-SIMD instruction (needs an engine with relaxed SIMD). */
  fma: boolean;
}

/** acc += splat(A at `aOffset` from local `aBase`) · bv, for every vector of the row. */
function multiplyRow(g: GemmCodegen, acc: number[], bv: number[], s: number, aBase: number, aOffset: number): number[] {
  const code = [...op.get(aBase), ...op.v128Load32Splat(aOffset), ...op.set(s)];
  for (const [v, b] of bv.entries()) {
    if (g.fma) code.push(...op.get(s), ...op.get(b), ...op.get(acc[v]), ...op.f32x4RelaxedMadd, ...op.set(acc[v]));
    else code.push(...op.get(acc[v]), ...op.get(s), ...op.get(b), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc[v]));
  }
  return code;
}

/** Load the nv B vectors of this k, then step B to the next row. */
function loadB(bv: number[]): number[] {
  const code: number[] = [];
  bv.forEach((b, v) => code.push(...op.get(B), ...op.v128Load(16 * v), ...op.set(b)));
  return [...code, ...op.get(B), ...op.get(LDB), ...op.i32Add, ...op.set(B)];
}

const addTo = (local: number, amount: number[]) => [...op.get(local), ...amount, ...op.i32Add, ...op.set(local)];

/** `while (counter != 0) { body; counter-- }` */
function countDown(counter: number, body: number[]): number[] {
  return [
    ...op.block, ...op.loop,
    ...op.get(counter), ...op.i32Eqz, ...op.brIf(1),
    ...body,
    ...addTo(counter, op.i32(-1)),
    ...op.br(0), ...op.end, ...op.end,
  ];
}

/** Bias, activation and the store of the MR×(4·nv) block. */
function epilogue(locals: Locals, acc: number[][], bv: number[]): number[] {
  const code: number[] = [];
  // if (bias) acc += bias[0..4nv)
  code.push(...op.get(BIAS), ...op.if);
  bv.forEach((b, v) => code.push(...op.get(BIAS), ...op.v128Load(16 * v), ...op.set(b)));
  acc.forEach((row) => row.forEach((a, v) => code.push(...op.get(a), ...op.get(bv[v]), ...op.f32x4Add, ...op.set(a))));
  code.push(...op.end);
  // ReLU: pmax(x, 0) = x < 0 ? 0 : x (a NaN stays NaN, as in TensorFlow.js). Leaky ReLU: pmax(x, αx).
  const other = locals.add(V128);
  const activate = (second: (a: number) => number[]) =>
    acc.flat().flatMap((a) => [...op.get(a), ...second(a), ...op.f32x4Pmax, ...op.set(a)]);
  code.push(...op.get(ACT), ...op.i32(GemmActivation.Relu), ...op.i32Eq, ...op.if);
  code.push(...op.v128Zero, ...op.set(other), ...activate(() => op.get(other)), ...op.end);
  code.push(...op.get(ACT), ...op.i32(GemmActivation.LeakyRelu), ...op.i32Eq, ...op.if);
  code.push(...op.get(ALPHA), ...op.f32x4Splat, ...op.set(other));
  code.push(...activate((a) => [...op.get(a), ...op.get(other), ...op.f32x4Mul]), ...op.end);
  acc.forEach((row) => {
    row.forEach((a, v) => code.push(...op.get(C), ...op.get(a), ...op.v128Store(16 * v)));
    code.push(...addTo(C, op.get(LDC)));
  });
  return code;
}

/**
 * The micro-kernel for an mr×(4·nv) tile. A is packed (see `packA`): the MR
 * values of one k are adjacent, at constant offsets from one pointer.
 * (Unrolling k by 2, 4 or 8 measured 25-35% slower: V8's register
 * allocation then spills.)
 */
function microKernel(g: GemmCodegen, mr: number, nv: number): FunctionSpec {
  const locals = new Locals(KERNEL_PARAMS.length);
  const acc = Array.from({ length: mr }, () => locals.addMany(V128, nv));
  const bv = locals.addMany(V128, nv);
  const s = locals.add(V128);
  const code: number[] = [];
  acc.flat().forEach((a) => code.push(...op.v128Zero, ...op.set(a)));
  const oneK = [...loadB(bv), ...acc.flatMap((row, r) => multiplyRow(g, row, bv, s, A, 4 * r)), ...addTo(A, op.i32(4 * MR))];
  code.push(...countDown(K, oneK));
  code.push(...epilogue(locals, acc, bv));
  return { params: KERNEL_PARAMS, locals: locals.types, body: code };
}

/**
 * The same tile over a compacted A (see `compactA`): only the k whose MR
 * values are not all zero, each with the byte offset k·ldb of its row of B,
 * read from `IDX`. On MNIST 61% of the k of the first layer's product and
 * 72% of its weight gradient's are all-zero blocks; skipping them changes
 * no finite result (acc + 0·w = acc), only whether a NaN or ∞ in a skipped
 * row of B reaches C.
 */
function sparseMicroKernel(g: GemmCodegen, mr: number, nv: number): FunctionSpec {
  const IDX = KERNEL_PARAMS.length;
  const locals = new Locals(KERNEL_PARAMS.length + 1);
  const acc = Array.from({ length: mr }, () => locals.addMany(V128, nv));
  const bv = locals.addMany(V128, nv);
  const s = locals.add(V128);
  const row = locals.add(I32);
  const code: number[] = [];
  acc.flat().forEach((a) => code.push(...op.v128Zero, ...op.set(a)));
  const load = [...op.get(B), ...op.get(IDX), ...op.i32Load(), ...op.i32Add, ...op.set(row)];
  bv.forEach((b, v) => load.push(...op.get(row), ...op.v128Load(16 * v), ...op.set(b)));
  const oneK = [...load, ...acc.flatMap((r, i) => multiplyRow(g, r, bv, s, A, 4 * i)), ...addTo(A, op.i32(4 * MR)), ...addTo(IDX, op.i32(4))];
  code.push(...countDown(K, oneK));
  code.push(...epilogue(locals, acc, bv));
  return { params: [...KERNEL_PARAMS, I32], locals: locals.types, body: code };
}

const kernelIndex = (mr: number, nv: number) => (nv - 1) * MR + (mr - 1);
const sparseKernelIndex = (mr: number, nv: number) => 2 * MR + kernelIndex(mr, nv);
const passParams = (first: number[]) => [...first, ...[BIAS, K, LDA, LDB, LDC, ACT, ALPHA].flatMap((p) => op.get(p))];

/**
 * panel(a, b, c, bias, k, lda, ldb, ldc, act, α, m): all m rows of one
 * column panel, MR rows per micro-kernel call, then the remaining rows.
 * `a` is packed A; lda is unused by the kernels (kept for one signature).
 */
function panel(nv: number): FunctionSpec {
  const params: ValueType[] = [...KERNEL_PARAMS, I32];
  const M = KERNEL_PARAMS.length;
  const call = (mr: number) => [...passParams([...op.get(A), ...op.get(B), ...op.get(C)]), ...op.call(kernelIndex(mr, nv))];
  const code: number[] = [];
  code.push(...op.block, ...op.loop);
  code.push(...op.get(M), ...op.i32(MR), ...op.i32LtS, ...op.brIf(1));
  code.push(...call(MR));
  // Next block of MR rows: packed A moves on by K·MR floats, C by MR rows.
  code.push(...op.get(A), ...op.get(K), ...op.i32(4 * MR), ...op.i32Mul, ...op.i32Add, ...op.set(A));
  code.push(...op.get(C), ...op.get(LDC), ...op.i32(MR), ...op.i32Mul, ...op.i32Add, ...op.set(C));
  code.push(...addTo(M, op.i32(-MR)), ...op.br(0), ...op.end, ...op.end);
  for (let mr = 1; mr < MR; mr++) {
    code.push(...op.get(M), ...op.i32(mr), ...op.i32Eq, ...op.if, ...call(mr), ...op.end);
  }
  return { name: `panel${4 * nv}`, params, locals: [], body: code };
}

/**
 * panelSparse(a, b, c, bias, k, lda, ldb, ldc, act, α, m, idx, counts): as
 * `panel` over compacted A; block i holds counts[i] steps, at a + i·k·MR·4
 * with their B offsets at idx + i·k·4.
 */
function sparsePanel(nv: number): FunctionSpec {
  const params: ValueType[] = [...KERNEL_PARAMS, I32, I32, I32];
  const [M, IDX, COUNTS] = [KERNEL_PARAMS.length, KERNEL_PARAMS.length + 1, KERNEL_PARAMS.length + 2];
  const steps = (mr: number) => [...op.get(A), ...op.get(B), ...op.get(C), ...op.get(BIAS), ...op.get(COUNTS), ...op.i32Load(), ...[LDA, LDB, LDC, ACT, ALPHA].flatMap((p) => op.get(p)), ...op.get(IDX), ...op.call(sparseKernelIndex(mr, nv))];
  const code: number[] = [];
  code.push(...op.block, ...op.loop);
  code.push(...op.get(M), ...op.i32(MR), ...op.i32LtS, ...op.brIf(1));
  code.push(...steps(MR));
  code.push(...op.get(A), ...op.get(K), ...op.i32(4 * MR), ...op.i32Mul, ...op.i32Add, ...op.set(A));
  code.push(...op.get(IDX), ...op.get(K), ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.set(IDX));
  code.push(...addTo(COUNTS, op.i32(4)));
  code.push(...op.get(C), ...op.get(LDC), ...op.i32(MR), ...op.i32Mul, ...op.i32Add, ...op.set(C));
  code.push(...addTo(M, op.i32(-MR)), ...op.br(0), ...op.end, ...op.end);
  for (let mr = 1; mr < MR; mr++) code.push(...op.get(M), ...op.i32(mr), ...op.i32Eq, ...op.if, ...steps(mr), ...op.end);
  return { name: `panel${4 * nv}sparse`, params, locals: [], body: code };
}

/**
 * compactA(packed, m, k, out, idx, counts, ldb): for each block of packed A,
 * the k-steps with any nonzero bit, in order, into out (same block layout),
 * their B offsets k·ldb into idx, and their number into counts.
 */
function compactA(): FunctionSpec {
  const [PACKED, M_, K_, OUT, IDX, COUNTS, LDB_] = [0, 1, 2, 3, 4, 5, 6];
  const locals = new Locals(7);
  const [i, kk, j, from, to, idxAt, v] = [...locals.addMany(I32, 6), locals.add(V128)];
  const code: number[] = [];
  code.push(...op.i32(0), ...op.set(i));
  code.push(...op.block, ...op.loop, ...op.get(i), ...op.get(M_), ...op.i32GeS, ...op.brIf(1));
  // Block i starts at packed + (i/MR)·k·MR·4 = packed + i·k·4 (i steps by MR), likewise out; idx at idx + (i/MR)·k·4.
  code.push(...op.get(PACKED), ...op.get(i), ...op.get(K_), ...op.i32Mul, ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.set(from));
  code.push(...op.get(OUT), ...op.get(i), ...op.get(K_), ...op.i32Mul, ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.set(to));
  code.push(...op.get(IDX), ...op.get(i), ...op.get(K_), ...op.i32Mul, ...op.i32Add, ...op.set(idxAt)); // i·k·4/MR = i·k (MR = 4)
  code.push(...op.i32(0), ...op.set(kk), ...op.i32(0), ...op.set(j));
  code.push(...op.block, ...op.loop, ...op.get(kk), ...op.get(K_), ...op.i32GeS, ...op.brIf(1));
  code.push(...op.get(from), ...op.v128Load(), ...op.tee(v), ...op.v128AnyTrue, ...op.if);
  code.push(...op.get(to), ...op.get(v), ...op.v128Store(), ...addTo(to, op.i32(16)));
  code.push(...op.get(idxAt), ...op.get(kk), ...op.get(LDB_), ...op.i32Mul, ...op.i32Store(), ...addTo(idxAt, op.i32(4)));
  code.push(...addTo(j, op.i32(1)), ...op.end);
  code.push(...addTo(from, op.i32(16)), ...addTo(kk, op.i32(1)), ...op.br(0), ...op.end, ...op.end);
  code.push(...op.get(COUNTS), ...op.get(j), ...op.i32Store(), ...addTo(COUNTS, op.i32(4)));
  code.push(...addTo(i, op.i32(MR)), ...op.br(0), ...op.end, ...op.end);
  return { name: 'compactA', params: Array<ValueType>(7).fill(I32), locals: locals.types, body: code };
}

/**
 * packA(src, dst, m, k, rowStride, kStride): op(A)[i][kk] (at src + i·rowStride
 * + kk·kStride, strides in bytes) into blocks of MR rows, k-major within a
 * block: dst[block][kk][r]. Rows past m in the last block are left as they are
 * (the kernels for a partial block never read them).
 */
function packA(): FunctionSpec {
  const [SRC, DST, M_, K_, ROW, KS] = [0, 1, 2, 3, 4, 5];
  const locals = new Locals(6);
  const [i, kk, from, rows, r, rowFrom] = locals.addMany(I32, 6);
  const code: number[] = [];
  // for (i = 0; i < m; i += MR) { rows = min(MR, m - i); for kk < k: for r < rows: *dst++ ... }
  code.push(...op.i32(0), ...op.set(i));
  code.push(...op.block, ...op.loop, ...op.get(i), ...op.get(M_), ...op.i32GeS, ...op.brIf(1));
  code.push(...op.get(M_), ...op.get(i), ...op.i32Sub, ...op.set(rows));
  code.push(...op.get(rows), ...op.i32(MR), ...op.i32GeS, ...op.if, ...op.i32(MR), ...op.set(rows), ...op.end);
  // from = src + i·rowStride
  code.push(...op.get(SRC), ...op.get(i), ...op.get(ROW), ...op.i32Mul, ...op.i32Add, ...op.set(from));
  code.push(...op.get(K_), ...op.set(kk));
  const copyRows = [
    ...op.get(from), ...op.set(rowFrom), ...op.i32(0), ...op.set(r),
    ...op.block, ...op.loop, ...op.get(r), ...op.get(rows), ...op.i32GeS, ...op.brIf(1),
    ...op.get(DST), ...op.get(r), ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.get(rowFrom), ...op.f32Load(), ...op.f32Store(),
    ...addTo(rowFrom, op.get(ROW)), ...addTo(r, op.i32(1)), ...op.br(0), ...op.end, ...op.end,
    ...addTo(DST, op.i32(4 * MR)), ...addTo(from, op.get(KS)),
  ];
  code.push(...countDown(kk, copyRows));
  code.push(...addTo(i, op.i32(MR)), ...op.br(0), ...op.end, ...op.end);
  return { name: 'packA', params: [I32, I32, I32, I32, I32, I32], locals: locals.types, body: code };
}

/**
 * packBlocksT(src, dst, blocks, k, m): the first 4·blocks columns of a K×M
 * row-major A (op(A) = Aᵀ), packed as `packA` does: a block's four values
 * of one k are adjacent in storage, so each is one vector copy.
 */
function packBlocksTransposed(): FunctionSpec {
  const [SRC, DST, BLOCKS, K_, M_] = [0, 1, 2, 3, 4];
  const locals = new Locals(5);
  const [b, kk, from] = locals.addMany(I32, 3);
  const code: number[] = [];
  code.push(...op.i32(0), ...op.set(b));
  code.push(...op.block, ...op.loop, ...op.get(b), ...op.get(BLOCKS), ...op.i32GeS, ...op.brIf(1));
  code.push(...op.get(SRC), ...op.get(b), ...op.i32(16), ...op.i32Mul, ...op.i32Add, ...op.set(from));
  code.push(...op.get(K_), ...op.set(kk));
  code.push(...countDown(kk, [
    ...op.get(DST), ...op.get(from), ...op.v128Load(), ...op.v128Store(),
    ...addTo(DST, op.i32(16)), ...op.get(from), ...op.get(M_), ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.set(from),
  ]));
  code.push(...addTo(b, op.i32(1)), ...op.br(0), ...op.end, ...op.end);
  return { name: 'packBlocksT', params: [I32, I32, I32, I32, I32], locals: locals.types, body: code };
}

/**
 * packBlocksN(src, dst, blocks, k, k4): the first 4·blocks rows of an M×K
 * row-major A, packed as `packA` does: four k at a time, the 4×4 block of
 * four rows transposed with shuffles, then the k past k4 (a multiple of 4)
 * one value at a time.
 */
function packBlocksNormal(): FunctionSpec {
  const [SRC, DST, BLOCKS, K_, K4] = [0, 1, 2, 3, 4];
  const locals = new Locals(5);
  const [b, kk, row, q] = locals.addMany(I32, 4);
  const [r0, r1, r2, r3, t0, t1, t2, t3] = locals.addMany(V128, 8);
  const rowBytes = [...op.get(K_), ...op.i32(4), ...op.i32Mul];
  /** Address of A[block row + q][kk]: row + q·k·4 + kk·4. */
  const at = (qq: number) => [...op.get(row), ...rowBytes, ...op.i32(qq), ...op.i32Mul, ...op.i32Add, ...op.get(kk), ...op.i32(4), ...op.i32Mul, ...op.i32Add];
  const shuffle = (a: number, c: number, lanes: [number, number, number, number]) => [...op.get(a), ...op.get(c), ...op.f32x4Shuffle(lanes)];
  const code: number[] = [];
  code.push(...op.i32(0), ...op.set(b));
  code.push(...op.block, ...op.loop, ...op.get(b), ...op.get(BLOCKS), ...op.i32GeS, ...op.brIf(1));
  // row = src + 4b·k·4
  code.push(...op.get(SRC), ...op.get(b), ...op.i32(16), ...op.i32Mul, ...op.get(K_), ...op.i32Mul, ...op.i32Add, ...op.set(row));
  code.push(...op.i32(0), ...op.set(kk));
  code.push(...op.block, ...op.loop, ...op.get(kk), ...op.get(K4), ...op.i32GeS, ...op.brIf(1));
  [r0, r1, r2, r3].forEach((v, qq) => code.push(...at(qq), ...op.v128Load(), ...op.set(v)));
  code.push(...shuffle(r0, r1, [0, 4, 1, 5]), ...op.set(t0), ...shuffle(r0, r1, [2, 6, 3, 7]), ...op.set(t1));
  code.push(...shuffle(r2, r3, [0, 4, 1, 5]), ...op.set(t2), ...shuffle(r2, r3, [2, 6, 3, 7]), ...op.set(t3));
  const outputs: [number, number, [number, number, number, number]][] = [[t0, t2, [0, 1, 4, 5]], [t0, t2, [2, 3, 6, 7]], [t1, t3, [0, 1, 4, 5]], [t1, t3, [2, 3, 6, 7]]];
  outputs.forEach(([x, y, lanes], j) => code.push(...op.get(DST), ...shuffle(x, y, lanes), ...op.v128Store(16 * j)));
  code.push(...addTo(DST, op.i32(64)), ...addTo(kk, op.i32(4)), ...op.br(0), ...op.end, ...op.end);
  // k past k4: dst[kk][q] = A[row q][kk]
  code.push(...op.block, ...op.loop, ...op.get(kk), ...op.get(K_), ...op.i32GeS, ...op.brIf(1));
  code.push(...op.i32(0), ...op.set(q));
  code.push(...op.block, ...op.loop, ...op.get(q), ...op.i32(4), ...op.i32GeS, ...op.brIf(1));
  code.push(...op.get(DST), ...op.get(q), ...op.i32(4), ...op.i32Mul, ...op.i32Add);
  code.push(...op.get(row), ...rowBytes, ...op.get(q), ...op.i32Mul, ...op.i32Add, ...op.get(kk), ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.f32Load(), ...op.f32Store());
  code.push(...addTo(q, op.i32(1)), ...op.br(0), ...op.end, ...op.end);
  code.push(...addTo(DST, op.i32(16)), ...addTo(kk, op.i32(1)), ...op.br(0), ...op.end, ...op.end);
  code.push(...addTo(b, op.i32(1)), ...op.br(0), ...op.end, ...op.end);
  return { name: 'packBlocksN', params: [I32, I32, I32, I32, I32], locals: locals.types, body: code };
}

/**
 * panels(a, b, c, bias, k, lda, ldb, ldc, act, α, m, n, bstep): every
 * 8-column panel of n columns over the m rows of packed A, then one
 * 4-column panel when four or more columns are left (the caller does the
 * last n mod 4). B moves on by bstep bytes from panel to panel: 32 as
 * stored, 32·k packed (see packB).
 */
function panels(): FunctionSpec {
  const [M, N, BSTEP] = [KERNEL_PARAMS.length, KERNEL_PARAMS.length + 1, KERNEL_PARAMS.length + 2];
  const call = (name: string) => [...passParams([...op.get(A), ...op.get(B), ...op.get(C)]), ...op.get(M), ...op.call(functionIndex(name))];
  const code: number[] = [];
  code.push(...op.block, ...op.loop, ...op.get(N), ...op.i32(8), ...op.i32LtS, ...op.brIf(1));
  code.push(...call('panel8'), ...addTo(B, op.get(BSTEP)), ...addTo(C, op.i32(32)), ...addTo(N, op.i32(-8)));
  // bias = bias ? bias + 32 : 0
  code.push(...op.get(BIAS), ...op.i32(32), ...op.i32Add, ...op.i32(0), ...op.get(BIAS), ...op.select, ...op.set(BIAS));
  code.push(...op.br(0), ...op.end, ...op.end);
  code.push(...op.get(N), ...op.i32(4), ...op.i32GeS, ...op.if, ...call('panel4'), ...op.end);
  return { name: 'panels', params: [...KERNEL_PARAMS, I32, I32, I32], locals: [], body: code };
}

/**
 * packB(src, dst, k, panels, ld, tail): B (ld bytes per row) into panels of
 * 8 columns, each k rows of 32 contiguous bytes, then, when tail ≠ 0, the
 * next 4 columns as one more panel (rows 32 bytes apart, half used). The
 * micro-kernel then reads B with a 32-byte stride: as stored, rows 2^j bytes
 * apart (a conv's 64 channels: 256) fall into a few cache sets and evict
 * each other long before the panel's k rows fill the cache.
 */
function packB(): FunctionSpec {
  const [SRC, DST, K_, PANELS, LD, TAIL] = [0, 1, 2, 3, 4, 5];
  const locals = new Locals(6);
  const [q, kk, from] = locals.addMany(I32, 3);
  const copyRows = (vectors: number) => [
    ...op.get(K_), ...op.set(kk),
    ...countDown(kk, [
      ...Array.from({ length: vectors }, (_, v) => [...op.get(DST), ...op.get(from), ...op.v128Load(16 * v), ...op.v128Store(16 * v)]).flat(),
      ...addTo(DST, op.i32(32)), ...addTo(from, op.get(LD)),
    ]),
  ];
  const code: number[] = [];
  code.push(...op.get(SRC), ...op.set(from), ...op.i32(0), ...op.set(q));
  code.push(...op.block, ...op.loop, ...op.get(q), ...op.get(PANELS), ...op.i32GeS, ...op.brIf(1));
  // from = src + 32q: the panel's first row
  code.push(...op.get(SRC), ...op.get(q), ...op.i32(32), ...op.i32Mul, ...op.i32Add, ...op.set(from));
  code.push(...copyRows(2), ...addTo(q, op.i32(1)), ...op.br(0), ...op.end, ...op.end);
  code.push(...op.get(TAIL), ...op.if);
  code.push(...op.get(SRC), ...op.get(PANELS), ...op.i32(32), ...op.i32Mul, ...op.i32Add, ...op.set(from));
  code.push(...copyRows(1), ...op.end);
  return { name: 'packB', params: [I32, I32, I32, I32, I32, I32], locals: locals.types, body: code };
}

/**
 * packRows(src, dst, rows, k, ld, trans): `rows` rows of op(A) into blocks
 * as `packA` lays them out, whole blocks with SIMD (packBlocksN, or
 * packBlocksT when trans ≠ 0), the last partial block value by value. src
 * is the first row's first value; ld is the floats per stored row (k for
 * an M×K A, m for the K×M storage of Aᵀ).
 */
function packRows(): FunctionSpec {
  const [SRC, DST, ROWS, K_, LD, TRANS] = [0, 1, 2, 3, 4, 5];
  const locals = new Locals(6);
  const [blocks, tail] = locals.addMany(I32, 2);
  const code: number[] = [];
  code.push(...op.get(ROWS), ...op.i32(2), ...op.i32ShrU, ...op.set(blocks));
  // tail = dst + 16·blocks·k: the partial block's place in packed A
  code.push(...op.get(DST), ...op.get(blocks), ...op.get(K_), ...op.i32Mul, ...op.i32(16), ...op.i32Mul, ...op.i32Add, ...op.set(tail));
  const partial = (from: number[], rowStride: number[], kStride: number[]) => [...from, ...op.get(tail), ...op.get(ROWS), ...op.i32(MR - 1), ...op.i32And, ...op.get(K_), ...rowStride, ...kStride, ...op.call(functionIndex('packA'))];
  const times4 = (local: number) => [...op.get(local), ...op.i32(4), ...op.i32Mul];
  code.push(...op.get(TRANS), ...op.if);
  code.push(...op.get(SRC), ...op.get(DST), ...op.get(blocks), ...op.get(K_), ...op.get(LD), ...op.call(functionIndex('packBlocksT')));
  // Aᵀ: the partial block's rows start 16·blocks bytes in; rows are 4 bytes apart, k is 4·ld.
  code.push(...partial([...op.get(SRC), ...op.get(blocks), ...op.i32(16), ...op.i32Mul, ...op.i32Add], op.i32(4), times4(LD)));
  code.push(...op.else);
  code.push(...op.get(SRC), ...op.get(DST), ...op.get(blocks), ...op.get(K_), ...op.get(K_), ...op.i32(-4), ...op.i32And, ...op.call(functionIndex('packBlocksN')));
  // A: the partial block's rows start 16·blocks·ld bytes in; rows are 4·ld apart, k is 4.
  code.push(...partial([...op.get(SRC), ...op.get(blocks), ...op.get(LD), ...op.i32Mul, ...op.i32(16), ...op.i32Mul, ...op.i32Add], times4(LD), op.i32(4)));
  code.push(...op.end);
  return { name: 'packRows', params: [I32, I32, I32, I32, I32, I32], locals: locals.types, body: code };
}

/**
 * packBT(src, dst, k, panels, ld, tail): as packB for a B stored
 * transposed, N×K (row j of the storage is column j of B, ld bytes apart):
 * each panel is 8 rows of the storage turned on their side, four k at a
 * time (a 4×4 shuffle transpose for each half of the panel), then the k
 * past the last multiple of 4 one value at a time; with tail ≠ 0 the next 4
 * rows as one more panel. Saves a dense layer's backward pass the transpose
 * of its weights, and the pass to pack them after it.
 */
function packBT(): FunctionSpec {
  const [SRC, DST, K_, PANELS, LD, TAIL] = [0, 1, 2, 3, 4, 5];
  const locals = new Locals(6);
  const [q, kk, row, k4, out] = locals.addMany(I32, 5);
  const r = locals.addMany(V128, 8);
  const t = locals.addMany(V128, 4);
  const shuffle = (a: number, b: number, lanes: [number, number, number, number]) => [...op.get(a), ...op.get(b), ...op.f32x4Shuffle(lanes)];
  /** The 4×4 block of rows r[h..h+4) transposed into t; t[j] stored at out + 32·j + 16·half. */
  const transposeHalf = (h: number) => {
    const [r0, r1, r2, r3] = r.slice(4 * h, 4 * h + 4);
    const code = [
      ...shuffle(r0, r1, [0, 4, 1, 5]), ...op.set(t[0]), ...shuffle(r0, r1, [2, 6, 3, 7]), ...op.set(t[1]),
      ...shuffle(r2, r3, [0, 4, 1, 5]), ...op.set(t[2]), ...shuffle(r2, r3, [2, 6, 3, 7]), ...op.set(t[3]),
    ];
    const outputs: [number, number, [number, number, number, number]][] = [[t[0], t[2], [0, 1, 4, 5]], [t[0], t[2], [2, 3, 6, 7]], [t[1], t[3], [0, 1, 4, 5]], [t[1], t[3], [2, 3, 6, 7]]];
    outputs.forEach(([x, y, lanes], j) => code.push(...op.get(out), ...shuffle(x, y, lanes), ...op.v128Store(32 * j + 16 * h)));
    return code;
  };
  /** Rows [0, count) of the panel from `row` (8 or 4), into out. */
  const panelRows = (count: number) => {
    const code: number[] = [];
    // kk steps four at a time while kk < k4, loading 4 values of each row at row + i·ld + 4·kk.
    code.push(...op.i32(0), ...op.set(kk));
    code.push(...op.block, ...op.loop, ...op.get(kk), ...op.get(k4), ...op.i32GeS, ...op.brIf(1));
    for (let i = 0; i < count; i++) {
      code.push(...op.get(row), ...op.get(LD), ...op.i32(i), ...op.i32Mul, ...op.i32Add, ...op.get(kk), ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.v128Load(), ...op.set(r[i]));
    }
    for (let h = 0; h < count / 4; h++) code.push(...transposeHalf(h));
    code.push(...addTo(out, op.i32(128)), ...addTo(kk, op.i32(4)), ...op.br(0), ...op.end, ...op.end);
    // The last k mod 4: out[kk][i] = row i's value kk.
    code.push(...op.block, ...op.loop, ...op.get(kk), ...op.get(K_), ...op.i32GeS, ...op.brIf(1));
    for (let i = 0; i < count; i++) {
      code.push(...op.get(out), ...op.get(row), ...op.get(LD), ...op.i32(i), ...op.i32Mul, ...op.i32Add, ...op.get(kk), ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.f32Load(), ...op.f32Store(4 * i));
    }
    code.push(...addTo(out, op.i32(32)), ...addTo(kk, op.i32(1)), ...op.br(0), ...op.end, ...op.end);
    return code;
  };
  const code: number[] = [];
  code.push(...op.get(K_), ...op.i32(-4), ...op.i32And, ...op.set(k4), ...op.get(DST), ...op.set(out));
  code.push(...op.i32(0), ...op.set(q));
  code.push(...op.block, ...op.loop, ...op.get(q), ...op.get(PANELS), ...op.i32GeS, ...op.brIf(1));
  // row = src + 8q·ld: the panel's first stored row
  code.push(...op.get(SRC), ...op.get(q), ...op.i32(8), ...op.i32Mul, ...op.get(LD), ...op.i32Mul, ...op.i32Add, ...op.set(row));
  code.push(...panelRows(8), ...addTo(q, op.i32(1)), ...op.br(0), ...op.end, ...op.end);
  code.push(...op.get(TAIL), ...op.if);
  code.push(...op.get(SRC), ...op.get(PANELS), ...op.i32(8), ...op.i32Mul, ...op.get(LD), ...op.i32Mul, ...op.i32Add, ...op.set(row));
  code.push(...panelRows(4), ...op.end);
  return { name: 'packBT', params: [I32, I32, I32, I32, I32, I32], locals: locals.types, body: code };
}

/**
 * addInto(dst, src, count): dst[i] += src[i] for `count` floats, four at a
 * time, then the last 0-3 one by one (the partial products of a
 * convolution's filter gradient, summed in a fixed order).
 */
function addInto(): FunctionSpec {
  const [DST, SRC, COUNT] = [0, 1, 2];
  const locals = new Locals(3);
  const [end, end4] = locals.addMany(I32, 2);
  const code: number[] = [];
  // end = dst + 4·count; end4 = dst + 16·(count >> 2)
  code.push(...op.get(DST), ...op.get(COUNT), ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.set(end));
  code.push(...op.get(DST), ...op.get(COUNT), ...op.i32(-4), ...op.i32And, ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.set(end4));
  const step = (width: number, load: number[], add: number[], store: number[]) => [
    ...op.get(DST), ...op.get(DST), ...load, ...op.get(SRC), ...load, ...add, ...store,
    ...addTo(DST, op.i32(width)), ...addTo(SRC, op.i32(width)),
  ];
  const loop = (limit: number, body: number[]) => [...op.block, ...op.loop, ...op.get(DST), ...op.get(limit), ...op.i32GeU, ...op.brIf(1), ...body, ...op.br(0), ...op.end, ...op.end];
  code.push(...loop(end4, step(16, op.v128Load(), op.f32x4Add, op.v128Store())));
  code.push(...loop(end, step(4, op.f32Load(), op.f32Add, op.f32Store())));
  return { name: 'addInto', params: [I32, I32, I32], locals: locals.types, body: code };
}

/** The module's functions after the micro-kernels, in order (their indices follow the kernels'). */
const NAMED = ['panel4', 'panel8', 'packA', 'panel4sparse', 'panel8sparse', 'compactA', 'packBlocksT', 'packBlocksN', 'panels', 'packRows', 'packB', 'im2col', 'col2im', 'addInto', 'packBT', 'bceRows'];
const functionIndex = (name: string) => 4 * MR + NAMED.indexOf(name);

/** Pages (64 KiB) a shared memory for the product may grow to: 1 GiB. */
export const SHARED_MAXIMUM_PAGES = 16384;

/**
 * The module; `shared` imports a shared memory (for the threads of a
 * parallel product). Multiply-adds are fused where the engine allows it
 * (`gemmCodegen()`), unless `codegen` says otherwise.
 */
export function gemmModuleBytes(shared = false, codegen: GemmCodegen = gemmCodegen()): Uint8Array {
  const functions: FunctionSpec[] = [];
  for (const nv of [1, 2]) for (let mr = 1; mr <= MR; mr++) functions[kernelIndex(mr, nv)] = microKernel(codegen, mr, nv);
  for (const nv of [1, 2]) for (let mr = 1; mr <= MR; mr++) functions[sparseKernelIndex(mr, nv)] = sparseMicroKernel(codegen, mr, nv);
  functions.push(panel(1), panel(2), packA(), sparsePanel(1), sparsePanel(2), compactA(), packBlocksTransposed(), packBlocksNormal(), panels(), packRows(), packB(), im2colFunction(), col2imFunction(), addInto(), packBT(), bceRowsFunction());
  functions.forEach((f, i) => {
    if (i >= 4 * MR && f.name !== NAMED[i - 4 * MR]) throw new Error(`gemm module: function ${i} is ${f.name}, not ${NAMED[i - 4 * MR]}`);
  });
  return moduleBytes(functions, shared ? { sharedMaximumPages: SHARED_MAXIMUM_PAGES } : {});
}

/** panel(a, b, c, bias, k, lda, ldb, ldc, act, α, m); offsets and strides in bytes, bias 0 for none. */
export type PanelFn = (a: number, b: number, c: number, bias: number, k: number, lda: number, ldb: number, ldc: number, act: number, alpha: number, m: number) => void;

/** packA(src, dst, m, k, rowStride, kStride), byte offsets and strides. */
export type PackFn = (src: number, dst: number, m: number, k: number, rowStride: number, kStride: number) => void;

/** panelSparse(a, b, c, bias, k, lda, ldb, ldc, act, α, m, idx, counts). */
export type SparsePanelFn = (a: number, b: number, c: number, bias: number, k: number, lda: number, ldb: number, ldc: number, act: number, alpha: number, m: number, idx: number, counts: number) => void;


/** compactA(packed, m, k, out, idx, counts, ldb). */
export type CompactFn = (packed: number, m: number, k: number, out: number, idx: number, counts: number, ldb: number) => void;

export interface SimdGemm {
  panel8: PanelFn;
  panel4: PanelFn;
  packA: PackFn;
  panel8sparse: SparsePanelFn;
  panel4sparse: SparsePanelFn;
  compactA: CompactFn;
  /** packBlocksT(src, dst, blocks, k, m): full blocks of a K×M (transposed) A. */
  packBlocksT: (src: number, dst: number, blocks: number, k: number, m: number) => void;
  /** packBlocksN(src, dst, blocks, k, k4): full blocks of an M×K A; k4 = k rounded down to a multiple of 4. */
  packBlocksN: (src: number, dst: number, blocks: number, k: number, k4: number) => void;
  /** panels(a, b, c, bias, k, lda, ldb, ldc, act, α, m, n, bstep): the 8-column panels of n columns, then a 4-column one if 4 or more are left; B moves bstep bytes per panel. */
  panels: (a: number, b: number, c: number, bias: number, k: number, lda: number, ldb: number, ldc: number, act: number, alpha: number, m: number, n: number, bstep: number) => void;
  /** im2col and col2im of simd_im2col.ts, for the helper threads of a convolution. */
  im2col: (src: number, dst: number, ...geometry: number[]) => void;
  col2im: (src: number, dst: number, ...geometry: number[]) => void;
  /** packBT(src, dst, k, panels, ld, tail): as packB from B stored transposed (N×K, rows ld bytes apart). */
  packBT: (src: number, dst: number, k: number, panels: number, ld: number, tail: number) => void;
  /** bceRows of simd_bce.ts, for the helper threads of a shared BCE. */
  bceRows: (l: number, x: number, out: number, rows: number, vectorBytes: number, rowBytes: number, xRowBytes: number) => void;
  /** addInto(dst, src, count): dst[i] += src[i] for count floats. */
  addInto: (dst: number, src: number, count: number) => void;
  /** packB(src, dst, k, panels, ld, tail): B's 8-column panels (and a 4-column tail) contiguous, rows 32 bytes apart. */
  packB: (src: number, dst: number, k: number, panels: number, ld: number, tail: number) => void;
  /** packRows(src, dst, rows, k, ld, trans): rows of op(A) packed; ld = floats per stored row. */
  packRows: (src: number, dst: number, rows: number, k: number, ld: number, trans: number) => void;
}

const cache = new WeakMap<WebAssembly.Memory, SimdGemm | null>();

/** Switches read when a module is generated (the first product on a memory). */
export const gemmCodegenSettings = {
  /** Fuse multiply-adds where the engine has relaxed SIMD; false keeps results bit-for-bit those of plain SIMD. */
  fma: true,
};

/** How the modules are generated on this engine. */
export function gemmCodegen(): GemmCodegen {
  return { fma: gemmCodegenSettings.fma && hasRelaxedSimd() };
}

/** The generated product functions bound to `memory`, or null without WebAssembly SIMD. */
export function simdGemmFor(memory: WebAssembly.Memory): SimdGemm | null {
  return instantiateOn(cache, memory, gemmModuleBytes);
}
