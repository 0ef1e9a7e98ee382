/**
 * ReLU with a gradient of one pass, for training.
 *
 * TensorFlow.js's ReLU gradient is dy·cast(step(x)): three kernels and two
 * intermediate tensors as large as the activation. This kernel runs the
 * backend's own Relu forward and saves its output y; its gradient is one
 * kernel, dx = y > 0 ? dy : 0 (y > 0 exactly where x > 0), in WebAssembly
 * SIMD on wasm (a compare and a bit-select per four values) and a loop on
 * cpu. Where x is NaN, step's gradient is NaN and this one is 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { I32, instantiateOn, Locals, moduleBytes, op, V128, type FunctionSpec } from '../wasm/assembler.js';
import { asWasmBackend, heapF32, wasmMemory } from './wasm_util.js';

export const RELU = 'LatentkitRelu';
export const RELU_GRAD = 'LatentkitReluGrad';

/** reluGrad(dy, y, out, vectors): out = y > 0 ? dy : 0, four floats per vector (byte offsets). */
function reluGradFunction(): FunctionSpec {
  const [DY, Y, OUT, VECTORS] = [0, 1, 2, 3];
  const locals = new Locals(4);
  const zero = locals.add(V128);
  const i = locals.add(I32);
  const code: number[] = [...op.v128Zero, ...op.set(zero), ...op.i32(0), ...op.set(i)];
  code.push(...op.block, ...op.loop, ...op.get(VECTORS), ...op.i32Eqz, ...op.brIf(1));
  // out[i] = bitselect(dy[i], 0, y[i] > 0)
  code.push(...op.get(OUT), ...op.get(i), ...op.i32Add);
  code.push(...op.get(DY), ...op.get(i), ...op.i32Add, ...op.v128Load(), ...op.get(zero));
  code.push(...op.get(Y), ...op.get(i), ...op.i32Add, ...op.v128Load(), ...op.get(zero), ...op.f32x4Gt, ...op.v128Bitselect, ...op.v128Store());
  code.push(...op.get(i), ...op.i32(16), ...op.i32Add, ...op.set(i), ...op.get(VECTORS), ...op.i32(-1), ...op.i32Add, ...op.set(VECTORS), ...op.br(0), ...op.end, ...op.end);
  return { name: 'reluGrad', params: [I32, I32, I32, I32], locals: locals.types, body: code };
}

type ReluGradFn = (dy: number, y: number, out: number, vectors: number) => void;
const cache = new WeakMap<WebAssembly.Memory, { reluGrad: ReluGradFn } | null>();

function reluOn(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const relu = tf.getKernel('Relu', backendName);
    if (relu == null) throw new Error(`${RELU}: the '${backendName}' backend has no Relu kernel`);
    return relu.kernelFunc({ inputs, backend, attrs });
  };
}

/** dx = y > 0 ? dy : 0 on the wasm heap: SIMD over whole vectors, the last 0-3 values here. */
const reluGradWasm: KernelFunc = ({ inputs, backend }) => {
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  const wasm = asWasmBackend(backend);
  const memory = wasmMemory(backend);
  const simd = memory ? instantiateOn(cache, memory, () => moduleBytes([reluGradFunction()])) : null;
  const out = wasm.makeOutput(y.shape, 'float32');
  const [g, ys, dx] = [heapF32(wasm, dy), heapF32(wasm, y), heapF32(wasm, out)];
  const vectors = simd ? dx.length >> 2 : 0;
  if (simd && vectors > 0) simd.reluGrad(g.byteOffset, ys.byteOffset, dx.byteOffset, vectors);
  for (let i = 4 * vectors; i < dx.length; i++) dx[i] = ys[i]! > 0 ? g[i]! : 0;
  return out;
};

const reluGradCpu: KernelFunc = ({ inputs, backend }) => {
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  const cpu = backend as unknown as { readSync(id: unknown): Float32Array; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo };
  const [g, ys] = [cpu.readSync(dy.dataId), cpu.readSync(y.dataId)];
  const dx = new Float32Array(ys.length);
  for (let i = 0; i < dx.length; i++) dx[i] = ys[i]! > 0 ? g[i]! : 0;
  return cpu.makeTensorInfo(y.shape, 'float32', dx);
};

export const reluKernelConfigs: readonly KernelConfig[] = [
  ...['wasm', 'cpu'].map((backendName) => ({ kernelName: RELU, backendName, kernelFunc: reluOn(backendName) })),
  { kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGradWasm },
  { kernelName: RELU_GRAD, backendName: 'cpu', kernelFunc: reluGradCpu },
];

export const reluGradConfig: GradConfig = {
  kernelName: RELU,
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [y] = saved;
    return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, y: y! }) as tf.Tensor };
  },
};

/** Whether the active backend has both kernels (and the gradient is registered). */
export function hasReluKernel(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(RELU, backend) != null && tf.getKernel(RELU_GRAD, backend) != null && tf.getGradient(RELU) != null;
}

/** max(x, 0) for float32 x, with the one-pass gradient. */
export function relu(x: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(RELU, { x }) as tf.Tensor;
}
