/**
 * The wasm backend's BatchMatMul is fast (XNNPACK) only for untransposed
 * operands; with transposeA or transposeB it falls back to a path ~15× slower,
 * and every backward pass of a dense layer asks for exactly those. This
 * wrapper transposes the operand explicitly, then multiplies on the fast path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wrapWasmKernel } from './wasm_util.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];

function transposeLastTwo(x: tf.TensorInfo, backend: KernelArgs['backend']): tf.TensorInfo {
  const transpose = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
  const rank = x.shape.length;
  const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

let installed = false;

/** Replace the wasm BatchMatMul kernel with the transpose-first wrapper (once). */
export function installFastWasmMatMul(): void {
  if (installed) return;
  installed = wrapWasmKernel('BatchMatMul', (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original(args);
    let { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const temporaries: tf.TensorInfo[] = [];
    if (transposeA) temporaries.push((a = transposeLastTwo(a, backend)));
    if (transposeB) temporaries.push((b = transposeLastTwo(b, backend)));
    const out = original({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    for (const t of temporaries) (backend as unknown as { disposeData(id: object): void }).disposeData(t.dataId);
    return out;
  });
}
