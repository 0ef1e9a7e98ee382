/**
 * Identity (tf.clone) on the wasm backend without a copy: the output shares
 * the input's data and counts one more reference, as the cpu backend's
 * Identity and the wasm backend's own Reshape do. Kernels never write into
 * their inputs, so sharing is safe.
 *
 * Why: while gradients are recorded, TensorFlow.js clones every tensor it
 * saves for the backward pass (49 clones per step of the 784-400-20 VAE),
 * and the wasm backend's Identity allocates and copies each one.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { wrapWasmKernel } from './wasm_util.js';

interface RefCounted {
  incRef(dataId: tf.DataId): void;
}

function sharing(original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const backend = args.backend as unknown as Partial<RefCounted>;
    if (x.dtype === 'string' || typeof backend.incRef !== 'function') return original(args);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

let installed = false;

/** Put the sharing Identity in front of the wasm backend's (once). */
export function installSharedIdentity(): string[] {
  if (installed || !wrapWasmKernel('Identity', sharing)) return [];
  installed = true;
  return ['Identity'];
}
