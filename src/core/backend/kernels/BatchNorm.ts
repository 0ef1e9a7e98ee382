/**
 * Batch normalisation in training, over the rows of x [rows, channels] (the
 * NHWC activations of a convolution, every position of every example a row
 * of its channel's statistics), as one kernel forward and one backward for
 * the wasm and cpu backends:
 *
 *   LatentkitBatchNorm(x, γ, β) → [y, mean, variance]
 *     y = γ·x̂ + β,  x̂ = (x − mean)·(variance + ε)^−½  (population variance)
 *   LatentkitBatchNormGrad(dy, x, mean, variance, γ) → [∂x, ∂γ, ∂β]
 *     ∂β = Σ dy,  ∂γ = Σ dy·x̂,  ∂x = γ·(variance + ε)^−½·(dy − ∂β/N − x̂·∂γ/N)
 *
 * with attribute epsilon. The composite form is a dozen elementwise kernels
 * and four reductions, each a pass over the map; here the forward pass reads
 * x three times (mean; centred sums of squares; normalise) and writes y once,
 * the backward reads dy and x twice and writes ∂x once. Statistics are two-pass
 * (sums of x − mean, so a large mean costs no precision) and summed in float64
 * across blocks of rows (float32 within a block on the wasm backend's SIMD
 * path, which takes channel counts that are a multiple of four; others run the
 * float64 loops the cpu backend runs).
 *
 * `batchNormTrain` wraps both in a tf.customGrad: the gradient flows through
 * y only; mean and variance are what the caller's moving averages need.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { simdBatchNormFor, type SimdBatchNorm } from './simd_batchnorm.js';
import type { CpuBackendLike } from './cpu_util.js';
import { asWasmBackend, heapF32, wasmMemory } from './wasm_util.js';

export const BATCH_NORM = 'LatentkitBatchNorm';
export const BATCH_NORM_GRAD = 'LatentkitBatchNormGrad';

/** Rows summed in float32 before their sums join the float64 totals. */
const BLOCK_ROWS = 256;

/** Per-channel arrays a kernel needs besides its inputs and outputs (on the heap for the SIMD path). */
const SCRATCH_ROWS = 6;

/** The passes over the rows, per channel j. Sums are written (not added) to s and q. */
interface Passes {
  /** s = Σ (u − k), q = Σ (u − k)². */
  centredSums(u: Float32Array, k: Float32Array, s: Float64Array, q: Float64Array): void;
  /** s = Σ dy, q = Σ dy·(x − k). */
  crossSums(dy: Float32Array, x: Float32Array, k: Float32Array, s: Float64Array, q: Float64Array): void;
  /** out = (x − k)·a + b. */
  scaleShift(x: Float32Array, k: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out = dy·p + (x − k)·q + r. */
  scaleShift2(dy: Float32Array, x: Float32Array, k: Float32Array, p: Float32Array, q: Float32Array, r: Float32Array, out: Float32Array): void;
}

/** The passes as float64 loops. */
function loopPasses(rows: number, c: number): Passes {
  const sums = (s: Float64Array, q: Float64Array, terms: (i: number, j: number) => [number, number]) => {
    s.fill(0);
    q.fill(0);
    for (let r = 0, i = 0; r < rows; r++) {
      for (let j = 0; j < c; j++, i++) {
        const [ds, dq] = terms(i, j);
        s[j] += ds;
        q[j] += dq;
      }
    }
  };
  const map = (out: Float32Array, value: (i: number, j: number) => number) => {
    for (let r = 0, i = 0; r < rows; r++) for (let j = 0; j < c; j++, i++) out[i] = value(i, j);
  };
  return {
    centredSums: (u, k, s, q) => sums(s, q, (i, j) => {
      const d = u[i] - k[j];
      return [d, d * d];
    }),
    crossSums: (dy, x, k, s, q) => sums(s, q, (i, j) => [dy[i], dy[i] * (x[i] - k[j])]),
    scaleShift: (x, k, a, b, out) => map(out, (i, j) => (x[i] - k[j]) * a[j] + b[j]),
    scaleShift2: (dy, x, k, p, q, r, out) => map(out, (i, j) => dy[i] * p[j] + (x[i] - k[j]) * q[j] + r[j]),
  };
}

/** The passes as the SIMD functions; every array is a view of the wasm heap, `partial` two scratch channel rows. */
function simdPasses(simd: SimdBatchNorm, rows: number, c: number, partial: [Float32Array, Float32Array]): Passes {
  const rowBytes = 4 * c;
  const [ps, pq] = partial;
  /** Run `block(first row's byte offset, rows)` over blocks of rows, adding each block's partial sums into s and q. */
  const blocked = (s: Float64Array, q: Float64Array, block: (offset: number, n: number) => void) => {
    s.fill(0);
    q.fill(0);
    for (let r = 0; r < rows; r += BLOCK_ROWS) {
      block(r * rowBytes, Math.min(BLOCK_ROWS, rows - r));
      for (let j = 0; j < c; j++) {
        s[j] += ps[j]!;
        q[j] += pq[j]!;
      }
    }
  };
  return {
    centredSums: (u, k, s, q) => blocked(s, q, (at, n) => simd.centredSums(u.byteOffset + at, k.byteOffset, ps.byteOffset, pq.byteOffset, n, rowBytes)),
    crossSums: (dy, x, k, s, q) => blocked(s, q, (at, n) => simd.crossSums(dy.byteOffset + at, x.byteOffset + at, k.byteOffset, ps.byteOffset, pq.byteOffset, n, rowBytes)),
    scaleShift: (x, k, a, b, out) => simd.scaleShift(x.byteOffset, k.byteOffset, a.byteOffset, b.byteOffset, out.byteOffset, rows, rowBytes),
    scaleShift2: (dy, x, k, p, q, r, out) => simd.scaleShift2(dy.byteOffset, x.byteOffset, k.byteOffset, p.byteOffset, q.byteOffset, r.byteOffset, out.byteOffset, rows, rowBytes),
  };
}

/** y, mean and variance of x [rows, c] into the given arrays; scratch holds SCRATCH_ROWS channel rows. */
function normalise(passes: Passes, x: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number, rows: number, scratch: Float32Array[], y: Float32Array, mean: Float32Array, variance: Float32Array): void {
  const [k, a, b] = scratch as [Float32Array, Float32Array, Float32Array];
  const c = k.length;
  const s = new Float64Array(c);
  const q = new Float64Array(c);
  k.fill(0);
  passes.centredSums(x, k, s, q);
  for (let j = 0; j < c; j++) k[j] = s[j]! / rows;
  // Around the (float32) first mean, the sums of x − k give the exact correction d and the variance.
  passes.centredSums(x, k, s, q);
  for (let j = 0; j < c; j++) {
    const d = s[j]! / rows;
    const v = Math.max(q[j]! / rows - d * d, 0);
    mean[j] = k[j]! + d;
    variance[j] = v;
    a[j] = gamma[j]! / Math.sqrt(v + epsilon);
    b[j] = beta[j]! - d * a[j]!;
  }
  passes.scaleShift(x, k, a, b, y);
}

/** ∂x, ∂γ and ∂β into the given arrays (see the file comment). */
function normaliseGrad(passes: Passes, dy: Float32Array, x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, epsilon: number, rows: number, scratch: Float32Array[], dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array): void {
  const [k, p, q, r] = scratch as [Float32Array, Float32Array, Float32Array, Float32Array];
  const c = k.length;
  const sumDy = new Float64Array(c);
  const sumDyCentred = new Float64Array(c);
  k.set(mean);
  passes.crossSums(dy, x, k, sumDy, sumDyCentred);
  for (let j = 0; j < c; j++) {
    const inv = 1 / Math.sqrt(variance[j]! + epsilon);
    dBeta[j] = sumDy[j]!;
    dGamma[j] = sumDyCentred[j]! * inv;
    p[j] = gamma[j]! * inv;
    // γ·inv·x̂·∂γ/N with x̂ = (x − mean)·inv and ∂γ = inv·Σ dy·(x − mean).
    q[j] = (-gamma[j]! * inv * inv * inv * sumDyCentred[j]!) / rows;
    r[j] = (-gamma[j]! * inv * sumDy[j]!) / rows;
  }
  passes.scaleShift2(dy, x, k, p, q, r, dx);
}

interface BatchNormAttrs {
  epsilon: number;
}

/** [rows, channels] and epsilon, checked. */
function shapeOf(x: TensorInfo, perChannel: TensorInfo[], others: TensorInfo[], attrs: unknown, kernel: string): [number, number, number] {
  const epsilon = (attrs as BatchNormAttrs | null)?.epsilon;
  const [rows, c] = x.shape as [number, number];
  const ok = x.shape.length === 2 && rows > 0 && perChannel.every((t) => t.shape.length === 1 && t.shape[0] === c) && others.every((t) => t.shape.join() === x.shape.join());
  if (!ok) throw new Error(`${kernel}: expected x [rows ≥ 1, channels] with per-channel [channels] inputs, got [${x.shape}] and ${perChannel.map((t) => `[${t.shape}]`).join(', ')}`);
  if (typeof epsilon !== 'number' || !(epsilon >= 0)) throw new Error(`${kernel}: expected an attribute epsilon ≥ 0, got ${epsilon}`);
  for (const t of [x, ...perChannel, ...others]) if (t.dtype !== 'float32') throw new Error(`${kernel}: expected float32 tensors, got ${t.dtype}`);
  return [rows, c, epsilon];
}

interface ForwardInputs {
  x: TensorInfo;
  gamma: TensorInfo;
  beta: TensorInfo;
}

interface GradInputs {
  dy: TensorInfo;
  x: TensorInfo;
  mean: TensorInfo;
  variance: TensorInfo;
  gamma: TensorInfo;
}

/** Split a [SCRATCH_ROWS·c] array into its channel rows. */
const channelRows = (scratch: Float32Array, c: number) => Array.from({ length: SCRATCH_ROWS }, (_, i) => scratch.subarray(i * c, (i + 1) * c));

/**
 * Run `compute` with the wasm backend's passes (SIMD where it can) and
 * scratch rows on the heap; `outputs` are allocated first, so the heap
 * views `compute` gets stay valid.
 */
function onWasm(backend: unknown, rows: number, c: number, inputs: TensorInfo[], shapes: number[][], compute: (passes: Passes, views: Float32Array[], scratch: Float32Array[]) => void): TensorInfo[] {
  const wasm = asWasmBackend(backend);
  const outputs = shapes.map((shape) => wasm.makeOutput(shape, 'float32'));
  const scratchInfo = wasm.makeOutput([SCRATCH_ROWS * c], 'float32');
  const [scratchView, ...views] = [scratchInfo, ...inputs, ...outputs].map((t) => heapF32(wasm, t));
  const scratch = channelRows(scratchView!, c);
  const memory = wasmMemory(backend);
  const simd = c % 4 === 0 && memory ? simdBatchNormFor(memory) : null;
  compute(simd ? simdPasses(simd, rows, c, [scratch[4]!, scratch[5]!]) : loopPasses(rows, c), views, scratch);
  wasm.disposeData(scratchInfo.dataId);
  return outputs;
}

/** The same on the cpu backend. */
function onCpu(backend: unknown, rows: number, c: number, inputs: TensorInfo[], shapes: number[][], compute: (passes: Passes, views: Float32Array[], scratch: Float32Array[]) => void): TensorInfo[] {
  const cpu = backend as unknown as CpuBackendLike;
  const outs = shapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
  compute(loopPasses(rows, c), [...inputs.map((t) => cpu.data.get(t.dataId).values), ...outs], channelRows(new Float32Array(SCRATCH_ROWS * c), c));
  return outs.map((values, i) => cpu.makeTensorInfo(shapes[i]!, 'float32', values));
}

type Runner = typeof onWasm;

function forwardKernel(run: Runner): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, gamma, beta } = inputs as unknown as ForwardInputs;
    const [rows, c, epsilon] = shapeOf(x, [gamma, beta], [], attrs, BATCH_NORM);
    return run(backend, rows, c, [x, gamma, beta], [[rows, c], [c], [c]], (passes, [xv, g, b, y, mean, variance], scratch) => normalise(passes, xv!, g!, b!, epsilon, rows, scratch, y!, mean!, variance!));
  };
}

function gradKernel(run: Runner): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x, mean, variance, gamma } = inputs as unknown as GradInputs;
    const [rows, c, epsilon] = shapeOf(x, [mean, variance, gamma], [dy], attrs, BATCH_NORM_GRAD);
    return run(backend, rows, c, [dy, x, mean, variance, gamma], [[rows, c], [c], [c]], (passes, [d, xv, m, v, g, dx, dGamma, dBeta], scratch) => normaliseGrad(passes, d!, xv!, m!, v!, g!, epsilon, rows, scratch, dx!, dGamma!, dBeta!));
  };
}

export const batchNormKernelConfigs: readonly KernelConfig[] = [
  { kernelName: BATCH_NORM, backendName: 'wasm', kernelFunc: forwardKernel(onWasm) },
  { kernelName: BATCH_NORM_GRAD, backendName: 'wasm', kernelFunc: gradKernel(onWasm) },
  { kernelName: BATCH_NORM, backendName: 'cpu', kernelFunc: forwardKernel(onCpu) },
  { kernelName: BATCH_NORM_GRAD, backendName: 'cpu', kernelFunc: gradKernel(onCpu) },
];

/** Whether the active backend has both kernels. */
export function hasBatchNormKernel(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(BATCH_NORM, backend) != null && tf.getKernel(BATCH_NORM_GRAD, backend) != null;
}

/**
 * y = γ·x̂ + β over the rows of x [rows, channels] through the kernels (see
 * hasBatchNormKernel), differentiable in x, γ and β. `onMoments` sees the
 * batch mean and population variance (for moving averages); they are
 * disposed after it returns.
 */
export function batchNormTrain(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, onMoments: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void): tf.Tensor2D {
  const attrs = { epsilon } as unknown as NamedAttrMap;
  const normalise = tf.customGrad(((xs: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM, { x: xs, gamma: g, beta: b }, attrs) as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
    onMoments(mean, variance);
    save([xs, mean, variance, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xSaved, m, v, gSaved] = saved;
        return tf.engine().runKernel(BATCH_NORM_GRAD, { dy, x: xSaved!, mean: m!, variance: v!, gamma: gSaved! }, attrs) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return normalise(x, gamma, beta) as tf.Tensor2D;
}
