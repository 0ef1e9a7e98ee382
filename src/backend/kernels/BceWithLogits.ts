/**
 * Binary cross-entropy with logits as one kernel forward and one backward,
 * for the wasm and cpu backends:
 *
 *   LatentkitBceWithLogits(logits [B, D], targets [B, D]) → [B],
 *     Σ_d max(l, 0) − l·x + log1p(e^(−|l|))
 *   LatentkitBceWithLogitsGrad(logits, targets, dy [B]) → [B, D], (σ(l) − x)·dy
 *
 * The composite form is eight elementwise kernels and a sum forward and five
 * backward, each a pass over the batch, and on the wasm backend log, exp and
 * log1p are scalar loops. The gradient config gives ∂/∂logits through the
 * backward kernel and ∂/∂targets = −l·dy with ordinary ops, each only when
 * asked for (targets are data in training and need none).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { simdBceFor } from './simd_bce.js';
import { asWasmBackend, heapF32, wasmMemory } from './wasm_util.js';

export const BCE_WITH_LOGITS = 'LatentkitBceWithLogits';
export const BCE_WITH_LOGITS_GRAD = 'LatentkitBceWithLogitsGrad';

/** out[r] += Σ over columns [from, cols) of row r (float64 arithmetic, rounded once per row). */
export function bceRowsLoop(l: Float32Array, x: Float32Array, out: Float32Array, rows: number, cols: number, from = 0): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = r * cols + from; c < (r + 1) * cols; c++) sum += Math.max(l[c], 0) - l[c] * x[c] + Math.log1p(Math.exp(-Math.abs(l[c])));
    out[r] = (from === 0 ? 0 : out[r]) + sum;
  }
}

/** out[r, c] = (σ(l) − x)·dy[r] over columns [from, cols). */
export function bceGradLoop(l: Float32Array, x: Float32Array, dy: Float32Array, out: Float32Array, rows: number, cols: number, from = 0): void {
  for (let r = 0; r < rows; r++) {
    for (let c = r * cols + from; c < (r + 1) * cols; c++) {
      const e = Math.exp(-Math.abs(l[c]));
      out[c] = ((l[c] >= 0 ? 1 : e) / (1 + e) - x[c]) * dy[r];
    }
  }
}

function shapeOf(logits: TensorInfo, targets: TensorInfo, kernel: string): [number, number] {
  if (logits.shape.length !== 2 || !tf.util.arraysEqual(logits.shape, targets.shape)) {
    throw new Error(`${kernel}: expected logits and targets of one shape [batch, features], got [${logits.shape}] and [${targets.shape}]`);
  }
  for (const t of [logits, targets]) if (t.dtype !== 'float32') throw new Error(`${kernel}: expected float32 tensors, got ${t.dtype}`);
  return [logits.shape[0], logits.shape[1]];
}

interface BceInputs {
  logits: TensorInfo;
  targets: TensorInfo;
  dy?: TensorInfo;
}

/** Columns the SIMD functions do per row (whole vectors of four); the caller does the rest. */
const vectorColumns = (cols: number, simd: boolean) => (simd ? cols - (cols % 4) : 0);

const wasmBce: KernelFunc = ({ inputs, backend }) => {
  const { logits, targets } = inputs as unknown as BceInputs;
  const [rows, cols] = shapeOf(logits, targets, BCE_WITH_LOGITS);
  const wasm = asWasmBackend(backend);
  const out = wasm.makeOutput([rows], 'float32');
  const [l, x, o] = [logits, targets, out].map((t) => heapF32(wasm, t));
  const memory = wasmMemory(backend);
  const simd = memory ? simdBceFor(memory) : null;
  const head = vectorColumns(cols, simd != null);
  if (simd && head > 0 && rows > 0) simd.bceRows(l.byteOffset, x.byteOffset, o.byteOffset, rows, 4 * head, 4 * cols);
  if (head < cols) bceRowsLoop(l, x, o, rows, cols, head);
  return out;
};

const wasmBceGrad: KernelFunc = ({ inputs, backend }) => {
  const { logits, targets, dy } = inputs as unknown as BceInputs;
  const [rows, cols] = shapeOf(logits, targets, BCE_WITH_LOGITS_GRAD);
  const wasm = asWasmBackend(backend);
  const out = wasm.makeOutput([rows, cols], 'float32');
  const [l, x, d, o] = [logits, targets, dy!, out].map((t) => heapF32(wasm, t));
  const memory = wasmMemory(backend);
  const simd = memory ? simdBceFor(memory) : null;
  const head = vectorColumns(cols, simd != null);
  if (simd && head > 0 && rows > 0) simd.bceGrad(l.byteOffset, x.byteOffset, d.byteOffset, o.byteOffset, rows, 4 * head, 4 * cols);
  if (head < cols) bceGradLoop(l, x, d, o, rows, cols, head);
  return out;
};

/** The part of MathBackendCPU these kernels use. */
interface CpuBackendLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

const cpuBce: KernelFunc = ({ inputs, backend }) => {
  const { logits, targets } = inputs as unknown as BceInputs;
  const [rows, cols] = shapeOf(logits, targets, BCE_WITH_LOGITS);
  const cpu = backend as unknown as CpuBackendLike;
  const out = new Float32Array(rows);
  bceRowsLoop(cpu.data.get(logits.dataId).values, cpu.data.get(targets.dataId).values, out, rows, cols);
  return cpu.makeTensorInfo([rows], 'float32', out);
};

const cpuBceGrad: KernelFunc = ({ inputs, backend }) => {
  const { logits, targets, dy } = inputs as unknown as BceInputs;
  const [rows, cols] = shapeOf(logits, targets, BCE_WITH_LOGITS_GRAD);
  const cpu = backend as unknown as CpuBackendLike;
  const out = new Float32Array(rows * cols);
  const values = (t: TensorInfo) => cpu.data.get(t.dataId).values;
  bceGradLoop(values(logits), values(targets), values(dy!), out, rows, cols);
  return cpu.makeTensorInfo([rows, cols], 'float32', out);
};

export const bceKernelConfigs: readonly KernelConfig[] = [
  { kernelName: BCE_WITH_LOGITS, backendName: 'wasm', kernelFunc: wasmBce },
  { kernelName: BCE_WITH_LOGITS_GRAD, backendName: 'wasm', kernelFunc: wasmBceGrad },
  { kernelName: BCE_WITH_LOGITS, backendName: 'cpu', kernelFunc: cpuBce },
  { kernelName: BCE_WITH_LOGITS_GRAD, backendName: 'cpu', kernelFunc: cpuBceGrad },
];

export const bceGradConfig: GradConfig = {
  kernelName: BCE_WITH_LOGITS,
  inputsToSave: ['logits', 'targets'],
  gradFunc: (dy, saved) => {
    const [logits, targets] = saved;
    const perRow = dy as tf.Tensor1D;
    return {
      logits: () => tf.engine().runKernel(BCE_WITH_LOGITS_GRAD, { logits, targets, dy: perRow }) as tf.Tensor,
      targets: () => tf.mul(tf.neg(logits), tf.reshape(perRow, [-1, 1])),
    };
  },
};

/** Whether the active backend has the fused kernels (and the gradient is registered). */
export function hasBceKernel(): boolean {
  return tf.getKernel(BCE_WITH_LOGITS, tf.getBackend()) != null && tf.getGradient(BCE_WITH_LOGITS) != null;
}

/** Per-row BCE of [B, D] logits against [B, D] targets through the fused kernel (see hasBceKernel). */
export function bceWithLogitsKernel(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.engine().runKernel(BCE_WITH_LOGITS, { logits, targets }) as tf.Tensor1D;
}
