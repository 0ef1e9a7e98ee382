/**
 * One Adam step for one variable as a single kernel: reads w, g, m, v once and
 * writes w', m', v' once.
 *
 * TensorFlow.js's AdamOptimizer spends about a dozen elementwise kernels per
 * variable (mul, add, square, div, sqrt ...), each a full pass over memory
 * plus an allocation; for the 784-400-20 VAE that is ~120 kernel calls and a
 * large share of the step. This kernel does the same arithmetic in one loop:
 *
 *   m' = β₁m + (1−β₁)g,   v' = β₂v + (1−β₂)g²,
 *   w' = w − lr · (m'/(1−β₁ᵗ)) / (√(v'/(1−β₂ᵗ)) + ε)
 *
 * (exactly tf.train.adam's form, ε outside the square root). With a second
 * gradient input g2 and weights [γ₀, γ₁], g is γ₀g + γ₁g2 (the average of
 * two data-parallel shards, at no extra pass). Registered for the wasm and
 * cpu backends; outputs are fresh tensors, inputs are untouched.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { simdAdamFor } from './simd_adam.js';
import type { CpuBackendLike } from './cpu_util.js';
import { asWasmBackend, heapF32, wasmMemory } from './wasm_util.js';

export const ADAM_UPDATE = 'LatentkitAdamUpdate';

export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1-based step number t, for the bias corrections 1 − βᵗ. */
  step: number;
  /** With input g2: the gradient is γ₀·g + γ₁·g2. */
  gradientWeights?: [number, number];
}

interface AdamInputs {
  w: TensorInfo;
  g: TensorInfo;
  m: TensorInfo;
  v: TensorInfo;
  g2?: TensorInfo;
}

/** The update loop, shared by every backend (arrays may be views onto a wasm heap). */
export function adamLoop(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, wOut: Float32Array, mOut: Float32Array, vOut: Float32Array, a: AdamUpdateAttrs, g2?: Float32Array): void {
  const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = a;
  const c1 = 1 - Math.pow(b1, a.step);
  const c2 = 1 - Math.pow(b2, a.step);
  const [gamma0, gamma1] = (a.gradientWeights ?? [1, 0]).map(Math.fround);
  const n = w.length;
  for (let i = 0; i < n; i++) {
    // float32 arithmetic for the sum, as the SIMD kernel does it.
    const gi = g2 ? Math.fround(Math.fround(gamma0 * g[i]) + Math.fround(gamma1 * g2[i])) : g[i];
    const mi = b1 * m[i] + (1 - b1) * gi;
    const vi = b2 * v[i] + (1 - b2) * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = w[i] - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
  }
}

function checkInputs({ w, g, m, v, g2 }: AdamInputs, attrs: AdamUpdateAttrs): void {
  const all = g2 ? [w, g, m, v, g2] : [w, g, m, v];
  for (const t of all) {
    if (t.dtype !== 'float32') throw new Error(`${ADAM_UPDATE}: expected float32 tensors, got ${t.dtype}`);
  }
  const size = tf.util.sizeFromShape(w.shape);
  for (const t of all) {
    if (tf.util.sizeFromShape(t.shape) !== size) throw new Error(`${ADAM_UPDATE}: shapes differ (${w.shape} vs ${t.shape})`);
  }
  if (g2 && attrs.gradientWeights?.length !== 2) throw new Error(`${ADAM_UPDATE}: a second gradient needs gradientWeights [γ₀, γ₁]`);
}

const wasmAdam: KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as unknown as AdamInputs;
  const a = attrs as unknown as AdamUpdateAttrs;
  checkInputs(ins, a);
  const wasm = asWasmBackend(backend);
  const outs = [0, 1, 2].map(() => wasm.makeOutput([...ins.w.shape], 'float32'));
  // Views only after the last allocation: makeOutput may grow (and detach) the heap.
  const [w, g, m, v] = [ins.w, ins.g, ins.m, ins.v].map((t) => heapF32(wasm, t));
  const g2 = ins.g2 ? heapF32(wasm, ins.g2) : undefined;
  const [wOut, mOut, vOut] = outs.map((t) => heapF32(wasm, t));
  const memory = wasmMemory(backend);
  const simd = memory ? simdAdamFor(memory) : null;
  // SIMD over whole groups of four, then the remainder (and everything without SIMD) in JavaScript.
  const head = simd ? w.length - (w.length % 4) : 0;
  if (simd && head > 0) {
    const [c1, c2] = [1 - Math.pow(a.beta1, a.step), 1 - Math.pow(a.beta2, a.step)];
    const constants = [a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.learningRate / c1, 1 / c2, a.epsilon] as const;
    const rest = [wOut.byteOffset, mOut.byteOffset, vOut.byteOffset, 4 * head] as const;
    if (g2) simd.adam2(w.byteOffset, g.byteOffset, g2.byteOffset, m.byteOffset, v.byteOffset, ...rest, ...constants, ...a.gradientWeights!);
    else simd.adam(w.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, ...rest, ...constants);
  }
  const tail = (x: Float32Array) => x.subarray(head);
  adamLoop(tail(w), tail(g), tail(m), tail(v), tail(wOut), tail(mOut), tail(vOut), a, g2 && tail(g2));
  return outs;
};

const cpuAdam: KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as unknown as AdamInputs;
  checkInputs(ins, attrs as unknown as AdamUpdateAttrs);
  const cpu = backend as unknown as CpuBackendLike;
  const [w, g, m, v] = [ins.w, ins.g, ins.m, ins.v].map((t) => cpu.data.get(t.dataId).values);
  const n = w.length;
  const [wOut, mOut, vOut] = [0, 1, 2].map(() => new Float32Array(n));
  adamLoop(w, g, m, v, wOut, mOut, vOut, attrs as unknown as AdamUpdateAttrs, ins.g2 && cpu.data.get(ins.g2.dataId).values);
  return [wOut, mOut, vOut].map((values) => cpu.makeTensorInfo([...ins.w.shape], 'float32', values));
};

export const adamUpdateWasmConfig: KernelConfig = { kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: wasmAdam };
export const adamUpdateCpuConfig: KernelConfig = { kernelName: ADAM_UPDATE, backendName: 'cpu', kernelFunc: cpuAdam };

/** Whether the active backend has the fused Adam kernel. */
export function hasAdamUpdate(): boolean {
  return tf.getKernel(ADAM_UPDATE, tf.getBackend()) != null;
}

/** [w', m', v'] for one variable (gradient g, or γ₀g + γ₁g2); needs the kernel registered for the active backend. */
export function adamUpdate(w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: AdamUpdateAttrs, g2?: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const inputs: tf.NamedTensorMap = { w, g, m, v };
  if (g2) inputs.g2 = g2;
  const out = tf.engine().runKernel(ADAM_UPDATE, inputs, attrs as unknown as NamedAttrMap) as tf.Tensor[];
  return [out[0], out[1], out[2]];
}
