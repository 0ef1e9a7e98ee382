/**
 * Binary cross-entropy with logits as one kernel forward and one backward,
 * for the wasm and cpu backends:
 *
 *   LatentkitBceWithLogits(logits [B, D], targets [B/S, D]) → [B],
 *     Σ_d max(l, 0) − l·x + log1p(e^(−|l|))
 *   LatentkitBceWithLogitsGrad(logits, targets, dy [B]) → [B, D], (σ(l) − x)·dy
 *
 * with attribute targetRepeat S (default 1): rows [jS, (j+1)S) of the
 * logits are scored against row j of the targets, so the S samples of an
 * importance-weighted bound need no repeated copy of their image.
 *
 * The composite form is eight elementwise kernels and a sum forward and five
 * backward, each a pass over the batch, and on the wasm backend log, exp and
 * log1p are scalar loops. The gradient config gives ∂/∂logits through the
 * backward kernel and ∂/∂targets = −l·dy with ordinary ops, each only when
 * asked for (targets are data in training and need none).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { sharedBce } from './MatMul.js';
import { simdBceFor } from './simd_bce.js';
import type { CpuBackendLike } from './cpu_util.js';
import { asWasmBackend, heapF32, wasmMemory } from './wasm_util.js';

export const BCE_WITH_LOGITS = 'LatentkitBceWithLogits';
export const BCE_WITH_LOGITS_GRAD = 'LatentkitBceWithLogitsGrad';

/** out[r] += Σ over columns [from, cols) of row r against target row ⌊r/repeat⌋ (float64 arithmetic, rounded once per row). */
export function bceRowsLoop(l: Float32Array, x: Float32Array, out: Float32Array, rows: number, cols: number, from = 0, repeat = 1): void {
  for (let r = 0; r < rows; r++) {
    const xr = Math.floor(r / repeat) * cols - r * cols;
    let sum = 0;
    for (let c = r * cols + from; c < (r + 1) * cols; c++) sum += Math.max(l[c], 0) - l[c] * x[c + xr] + Math.log1p(Math.exp(-Math.abs(l[c])));
    out[r] = (from === 0 ? 0 : out[r]) + sum;
  }
}

/** out[r, c] = (σ(l) − x)·dy[r] over columns [from, cols), target row ⌊r/repeat⌋. */
export function bceGradLoop(l: Float32Array, x: Float32Array, dy: Float32Array, out: Float32Array, rows: number, cols: number, from = 0, repeat = 1): void {
  for (let r = 0; r < rows; r++) {
    const xr = Math.floor(r / repeat) * cols - r * cols;
    for (let c = r * cols + from; c < (r + 1) * cols; c++) {
      const e = Math.exp(-Math.abs(l[c]));
      out[c] = ((l[c] >= 0 ? 1 : e) / (1 + e) - x[c + xr]) * dy[r];
    }
  }
}

export interface BceAttrs {
  /** Logit rows per target row (default 1). */
  targetRepeat?: number;
}

/** [rows, cols, repeat], checked. */
function shapeOf(logits: TensorInfo, targets: TensorInfo, attrs: unknown, kernel: string): [number, number, number] {
  const repeat = (attrs as BceAttrs | null)?.targetRepeat ?? 1;
  const [rows, cols] = logits.shape;
  const ok = logits.shape.length === 2 && targets.shape.length === 2 && Number.isInteger(repeat) && repeat >= 1 && targets.shape[1] === cols && targets.shape[0] * repeat === rows;
  if (!ok) throw new Error(`${kernel}: expected logits [batch, features] and targets [batch/${repeat}, features], got [${logits.shape}] and [${targets.shape}]`);
  for (const t of [logits, targets]) if (t.dtype !== 'float32') throw new Error(`${kernel}: expected float32 tensors, got ${t.dtype}`);
  return [rows, cols, repeat];
}

interface BceInputs {
  logits: TensorInfo;
  targets: TensorInfo;
  dy?: TensorInfo;
}

/** Columns the SIMD functions do per row (whole vectors of four); the caller does the rest. */
const vectorColumns = (cols: number, simd: boolean) => (simd ? cols - (cols % 4) : 0);

/** Calls of a SIMD row function: all rows at once, or one group of `repeat` rows per target row. */
function byTargetRow(rows: number, cols: number, repeat: number, run: (row: number, count: number, xRow: number, xRowBytes: number) => void): void {
  if (repeat === 1) run(0, rows, 0, 4 * cols);
  else for (let j = 0; j < rows / repeat; j++) run(j * repeat, repeat, j, 0);
}

const wasmBce: KernelFunc = ({ inputs, backend, attrs }) => {
  const { logits, targets } = inputs as unknown as BceInputs;
  const [rows, cols, repeat] = shapeOf(logits, targets, attrs, BCE_WITH_LOGITS);
  const wasm = asWasmBackend(backend);
  const out = wasm.makeOutput([rows], 'float32');
  const [l, x, o] = [logits, targets, out].map((t) => heapF32(wasm, t));
  const memory = wasmMemory(backend);
  const simd = memory ? simdBceFor(memory) : null;
  const head = vectorColumns(cols, simd != null);
  const onThreads = { logits: l.byteOffset, targets: x.byteOffset, out: o.byteOffset, rows, cols, vectorColumns: head, repeat };
  if (simd && head > 0 && rows > 0 && !sharedBce(backend, onThreads)) {
    byTargetRow(rows, cols, repeat, (row, count, xRow, xRowBytes) => simd.bceRows(l.byteOffset + 4 * row * cols, x.byteOffset + 4 * xRow * cols, o.byteOffset + 4 * row, count, 4 * head, 4 * cols, xRowBytes));
  }
  if (head < cols) bceRowsLoop(l, x, o, rows, cols, head, repeat);
  return out;
};

const wasmBceGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { logits, targets, dy } = inputs as unknown as BceInputs;
  const [rows, cols, repeat] = shapeOf(logits, targets, attrs, BCE_WITH_LOGITS_GRAD);
  const wasm = asWasmBackend(backend);
  const out = wasm.makeOutput([rows, cols], 'float32');
  const [l, x, d, o] = [logits, targets, dy!, out].map((t) => heapF32(wasm, t));
  const memory = wasmMemory(backend);
  const simd = memory ? simdBceFor(memory) : null;
  const head = vectorColumns(cols, simd != null);
  if (simd && head > 0 && rows > 0) {
    byTargetRow(rows, cols, repeat, (row, count, xRow, xRowBytes) =>
      simd.bceGrad(l.byteOffset + 4 * row * cols, x.byteOffset + 4 * xRow * cols, d.byteOffset + 4 * row, o.byteOffset + 4 * row * cols, count, 4 * head, 4 * cols, xRowBytes),
    );
  }
  if (head < cols) bceGradLoop(l, x, d, o, rows, cols, head, repeat);
  return out;
};

const cpuBce: KernelFunc = ({ inputs, backend, attrs }) => {
  const { logits, targets } = inputs as unknown as BceInputs;
  const [rows, cols, repeat] = shapeOf(logits, targets, attrs, BCE_WITH_LOGITS);
  const cpu = backend as unknown as CpuBackendLike;
  const out = new Float32Array(rows);
  bceRowsLoop(cpu.data.get(logits.dataId).values, cpu.data.get(targets.dataId).values, out, rows, cols, 0, repeat);
  return cpu.makeTensorInfo([rows], 'float32', out);
};

const cpuBceGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { logits, targets, dy } = inputs as unknown as BceInputs;
  const [rows, cols, repeat] = shapeOf(logits, targets, attrs, BCE_WITH_LOGITS_GRAD);
  const cpu = backend as unknown as CpuBackendLike;
  const out = new Float32Array(rows * cols);
  const values = (t: TensorInfo) => cpu.data.get(t.dataId).values;
  bceGradLoop(values(logits), values(targets), values(dy!), out, rows, cols, 0, repeat);
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
  gradFunc: (dy, saved, attrs) => {
    const [logits, targets] = saved;
    const perRow = dy as tf.Tensor1D;
    const repeat = (attrs as BceAttrs).targetRepeat ?? 1;
    return {
      logits: () => tf.engine().runKernel(BCE_WITH_LOGITS_GRAD, { logits, targets, dy: perRow }, attrs) as tf.Tensor,
      // −l·dy, summed over the rows that share a target row.
      targets: () => tf.sum(tf.reshape(tf.mul(tf.neg(logits), tf.reshape(perRow, [-1, 1])), [-1, repeat, targets.shape[1] as number]), 1),
    };
  },
};

/** Whether the active backend has the fused kernels (and the gradient is registered). */
export function hasBceKernel(): boolean {
  return tf.getKernel(BCE_WITH_LOGITS, tf.getBackend()) != null && tf.getGradient(BCE_WITH_LOGITS) != null;
}

/**
 * Per-row BCE of [B, D] logits against [B/S, D] targets (S = targetRepeat, default 1)
 * through the fused kernel (see hasBceKernel).
 */
export function bceWithLogitsKernel(logits: tf.Tensor2D, targets: tf.Tensor2D, targetRepeat = 1): tf.Tensor1D {
  const attrs: BceAttrs = { targetRepeat };
  return tf.engine().runKernel(BCE_WITH_LOGITS, { logits, targets }, attrs as unknown as NamedAttrMap) as tf.Tensor1D;
}
