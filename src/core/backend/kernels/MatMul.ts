/**
 * BatchMatMul and _FusedMatMul for the wasm backend on latentkit's SIMD
 * product (gemm/), replacing XNNPACK's for float32.
 *
 * XNNPACK, as the wasm backend uses it, multiplies untransposed operands at
 * ~37 GFLOP/s here but takes a naive loop (~3 GFLOP/s) when either is
 * transposed, and re-packs B whenever it sees a B it has not seen before,
 * which in training is every call (+1.5-2 ms per 128×784×400 product). Our
 * product reads transposed A directly (the Xᵀ·dY of every weight gradient),
 * packs a transposed B straight from its storage (the dY·Wᵀ of an input
 * gradient; no transpose pass), and runs at ~49 GFLOP/s on these shapes with fused
 * multiply-adds (~42 without). The fused kernel adds the bias and applies ReLU or LeakyReLU in
 * the same pass; other activations run as their own kernel afterwards.
 *
 * Batched inputs (rank > 2) broadcast their leading dimensions as on the
 * cpu backend (the wasm backend's own kernel gets [2,1]×[1,3] batches
 * wrong); anything this kernel does not handle (dtypes other than float32,
 * a bias that is not one value per column, no WebAssembly SIMD) goes to
 * the wasm backend's own kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { gemm, scratchBytes, type GemmProblem } from './gemm/gemm.js';
import { GemmActivation, simdGemmFor, type SimdGemm } from './gemm/simd_gemm.js';
import { asWasmBackend, runWasmKernel, wasmMemory, wrapWasmKernel, type WasmBackendLike } from './wasm_util.js';

/** Which product of a convolution: forward (im2col, then P·W), its input gradient (dy·Wᵀ, then col2im) or its filter gradient (Pᵀ·dy). */
export type ConvMode = 'forward' | 'inputGradient' | 'filterGradient';

/** A convolution's product as the threads run it, image group by image group (byte offsets on the heap). */
export interface ConvProblem {
  /** x (forward, filter gradient) or dy as [images·rowsPerImage, k] rows (input gradient). */
  a: number;
  /** The filter as K×outC (forward), Wᵀ as outC×stride (input gradient) or dy as [images·rowsPerImage, outC] rows (filter gradient). */
  b: number;
  /** The output as rows (forward), dx (input gradient) or dW as K×outC (filter gradient). */
  c: number;
  /** N values added to every row (forward), or 0. */
  bias: number;
  /** K and outC (forward, filter gradient); outC and the columns' stride, a multiple of 4 (input gradient). */
  k: number;
  n: number;
  images: number;
  /** Rows of patches per image: outH·outW. */
  rowsPerImage: number;
  /** Bytes of one image of x (or dx). */
  imageBytes: number;
  /** inH, inW, inC, outH, outW, fH, fW, sH, sW, padTop, padLeft (see simd_im2col.ts). */
  geometry: number[];
  activation: GemmActivation;
  alpha: number;
}

/** A binary cross-entropy's rows as the threads run them (see simd_bce.ts; byte offsets on the heap). */
export interface BceProblem {
  /** [rows, cols] logits, [rows/repeat, cols] targets, [rows] sums. */
  logits: number;
  targets: number;
  out: number;
  rows: number;
  cols: number;
  /** Columns of each row done here, a multiple of 4 (the caller adds the rest). */
  vectorColumns: number;
  /** Rows of logits per row of targets. */
  repeat: number;
}

/** The product on several threads (../gemm-threads.ts), installed by the platform when the backend starts. */
export interface ParallelGemm {
  /** Whether a product of this size is worth sharing out. */
  accepts(m: number, n: number, k: number): boolean;
  /** C = act(op(A)·B + bias) with operands at byte offsets of `heap`; C is written there. */
  run(heap: ArrayBuffer, p: GemmProblem): void;
  /** The same for a convolution's product. */
  acceptsConv(mode: ConvMode, p: ConvProblem): boolean;
  runConv(heap: ArrayBuffer, mode: ConvMode, p: ConvProblem): void;
  /** The same for the rows of a binary cross-entropy. */
  acceptsBce(p: BceProblem): boolean;
  runBce(heap: ArrayBuffer, p: BceProblem): void;
}

let parallel: ParallelGemm | null = null;

/** Share large products out to `p` from now on (null: this thread only). */
export function setParallelGemm(p: ParallelGemm | null): void {
  parallel = p;
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

/** Activations our epilogue applies; the rest run as a separate kernel (wasm kernel name, extra input). */
const FUSED: Record<string, GemmActivation> = { linear: GemmActivation.Linear, relu: GemmActivation.Relu };
const SEPARATE: Record<string, string> = { relu6: 'Relu6', sigmoid: 'Sigmoid', elu: 'Elu', prelu: 'Prelu', leakyrelu: 'LeakyRelu' };

interface Plan {
  m: number;
  n: number;
  k: number;
  /** Leading (batch) dimensions of the output: the broadcast of the operands'. */
  outer: number[];
  /** For each output matrix, the index of the A and the B matrix it multiplies. */
  aIndex: number[];
  bIndex: number[];
}

/** Flat index into `shape` (right-aligned against `outer`, size-1 dims broadcast) of outer element `i`. */
function broadcastIndex(i: number, outer: number[], shape: number[]): number {
  let index = 0;
  let stride = 1;
  for (let d = outer.length - 1, e = shape.length - 1; d >= 0; d--, e--) {
    const coordinate = i % outer[d];
    i = Math.floor(i / outer[d]);
    if (e >= 0) {
      if (shape[e] !== 1) index += coordinate * stride;
      stride *= shape[e];
    }
  }
  return index;
}

/** Shapes of op(A)·op(B), with TensorFlow.js's broadcasting of the leading dimensions. */
function plan(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): Plan | null {
  if (a.shape.length < 2 || b.shape.length < 2) return null;
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const [kb, n] = transposeB ? [cb, rb] : [rb, cb];
  if (k !== kb) throw new Error(`MatMul: inner dimensions differ (${a.shape} and ${b.shape}, transposeA=${transposeA}, transposeB=${transposeB})`);
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const count = tf.util.sizeFromShape(outer);
  const aIndex = Array.from({ length: count }, (_, i) => broadcastIndex(i, outer, outerA));
  const bIndex = Array.from({ length: count }, (_, i) => broadcastIndex(i, outer, outerB));
  return { m, n, k, outer, aIndex, bIndex };
}

/** Fused epilogue code and slope for an activation, or null when it runs separately. */
function epilogueFor(activation: string | undefined, alpha: number | undefined): { code: GemmActivation; alpha: number } | null {
  const name = activation ?? 'linear';
  if (name in FUSED) return { code: FUSED[name], alpha: 0 };
  if (name === 'leakyrelu' && alpha != null && alpha >= 0 && alpha <= 1) return { code: GemmActivation.LeakyRelu, alpha };
  return null;
}

function heapOffset(backend: WasmBackendLike, info: TensorInfo): number {
  return backend.typedArrayFromHeap(info).byteOffset;
}

/** The product itself; returns the output, or null to hand the call to the backend's kernel. */
function multiply(backend: WasmBackendLike, fns: SimdGemm, memory: WebAssembly.Memory, a: TensorInfo, b: TensorInfo, attrs: MatMulAttrs, bias: TensorInfo | undefined, epilogue: { code: GemmActivation; alpha: number }): TensorInfo | null {
  const p = plan(a, b, attrs.transposeA, attrs.transposeB);
  if (p == null) return null;
  const { m, n, k } = p;
  const out = backend.makeOutput([...p.outer, m, n], 'float32');
  if (m * n === 0) return out;
  // (k = 0 needs no case of its own: the sums are empty, then bias and activation apply.)
  const temporaries: TensorInfo[] = [];
  try {
    // A transposed B (N×K) is read as stored: the panels pack it, turning it on its side as they go.
    const threads = parallel?.accepts(m, n, k) ? parallel : null;
    const scratch = threads ? null : backend.makeOutput([Math.max(1, scratchBytes(m, k, n) / 4)], 'float32');
    if (scratch) temporaries.push(scratch);
    // Offsets only after the last allocation (allocations may move the heap's buffer, never offsets).
    const [aAt, bAt, outAt] = [a, b, out].map((t) => heapOffset(backend, t));
    const packAt = scratch ? heapOffset(backend, scratch) : 0;
    const biasAt = bias ? heapOffset(backend, bias) : 0;
    for (let i = 0; i < p.aIndex.length; i++) {
      const problem: GemmProblem = {
        a: aAt + 4 * p.aIndex[i] * m * k,
        b: bAt + 4 * p.bIndex[i] * k * n,
        c: outAt + 4 * i * m * n,
        bias: biasAt,
        m, n, k,
        transA: attrs.transposeA,
        transB: attrs.transposeB,
        activation: epilogue.code,
        alpha: epilogue.alpha,
      };
      if (threads) threads.run(memory.buffer as ArrayBuffer, problem);
      else gemm(fns, memory, problem, packAt);
    }
  } finally {
    for (const t of temporaries) backend.disposeData(t.dataId);
  }
  return out;
}

/**
 * The product for other kernels (the convolutions): a function running
 * C = act(op(A)·B + bias) on operands at byte offsets of the wasm heap, on
 * the helper threads when the product is large enough; null where
 * WebAssembly SIMD (or the heap) is missing.
 */
export function heapProduct(backend: unknown): ((p: GemmProblem) => void) | null {
  const memory = wasmMemory(backend);
  const fns = memory ? simdGemmFor(memory) : null;
  if (fns == null || memory == null) return null;
  const wasm = asWasmBackend(backend);
  return (p) => {
    if (p.m === 0 || p.n === 0) return;
    if (parallel?.accepts(p.m, p.n, p.k)) return parallel.run(memory.buffer as ArrayBuffer, p);
    const scratch = wasm.makeOutput([Math.max(1, scratchBytes(p.m, p.k, p.n) / 4)], 'float32');
    try {
      gemm(fns, memory, p, heapOffset(wasm, scratch));
    } finally {
      wasm.disposeData(scratch.dataId);
    }
  };
}

/**
 * A convolution's product on the helper threads, the patches (or columns)
 * made image group by image group on every thread, when that is worth it;
 * false when the caller is to run it on this thread.
 */
export function sharedConv(backend: unknown, mode: ConvMode, p: ConvProblem): boolean {
  const memory = wasmMemory(backend);
  if (memory == null || parallel == null || !parallel.acceptsConv(mode, p)) return false;
  parallel.runConv(memory.buffer as ArrayBuffer, mode, p);
  return true;
}

/** A binary cross-entropy's rows on the helper threads when that is worth it; false when the caller is to run them. */
export function sharedBce(backend: unknown, p: BceProblem): boolean {
  const memory = wasmMemory(backend);
  if (memory == null || parallel == null || !parallel.acceptsBce(p)) return false;
  parallel.runBce(memory.buffer as ArrayBuffer, p);
  return true;
}

/** A kernelFunc that runs ours where it can and `original` otherwise. */
function withFallback(original: KernelFunc, fused: boolean): KernelFunc {
  return (args) => {
    const { inputs, attrs } = args;
    const { a, b, bias, preluActivationWeights } = inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const at = attrs as unknown as MatMulAttrs;
    const backend = asWasmBackend(args.backend);
    const memory = wasmMemory(args.backend);
    const fns = memory ? simdGemmFor(memory) : null;
    const n = a.shape.length >= 2 && b.shape.length >= 2 ? (at.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1]) : -1;
    const biasOk = bias == null || tf.util.sizeFromShape(bias.shape) === n;
    if (fns == null || !memory || a.dtype !== 'float32' || b.dtype !== 'float32' || !biasOk) return original(args);
    const inEpilogue = fused ? epilogueFor(at.activation, at.leakyreluAlpha) : { code: GemmActivation.Linear, alpha: 0 };
    const separate = fused && inEpilogue == null ? SEPARATE[at.activation ?? ''] : undefined;
    if (inEpilogue == null && separate == null) return original(args);
    const linear = multiply(backend, fns, memory, a, b, at, bias, inEpilogue ?? { code: GemmActivation.Linear, alpha: 0 });
    if (linear == null) return original(args);
    if (separate == null) return linear;
    const extra = separate === 'Prelu' ? { alpha: preluActivationWeights! } : {};
    const activated = runWasmKernel(separate, { x: linear, ...extra }, backend, separate === 'LeakyRelu' ? { alpha: at.leakyreluAlpha ?? 0.2 } : {});
    backend.disposeData(linear.dataId);
    return activated;
  };
}

let installed = false;

/**
 * Put our BatchMatMul and _FusedMatMul in front of the wasm backend's
 * (once; the backend's own stay reachable as the fallback).
 */
export function installSimdMatMul(): string[] {
  if (installed) return [];
  const replaced: string[] = [];
  for (const [name, fused] of [['BatchMatMul', false], ['_FusedMatMul', true]] as const) {
    if (wrapWasmKernel(name, (original) => withFallback(original, fused))) replaced.push(name);
  }
  installed = true;
  return replaced;
}
