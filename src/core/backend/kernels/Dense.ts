/**
 * y = x·W + b as one kernel with a registered gradient, for training.
 *
 * tf.fused.matMul does the same in one kernel, but its gradient is a custom
 * gradient that always computes ∂L/∂x, ∂L/∂W and ∂L/∂b (∂L/∂x of a first
 * layer is as large as the forward product and thrown away), so FastDense
 * used matMul and add while recording: an extra pass over the output and
 * three more kernels in the tape per layer. This kernel runs the backend's
 * own _FusedMatMul (on wasm, latentkit's SIMD product with the bias in its
 * epilogue), and its gradient config hands out each gradient only when the
 * tape asks for it:
 *
 *   ∂x = dy·Wᵀ,   ∂W = xᵀ·dy,   ∂b = Σ_rows dy
 *
 * Registered for wasm and cpu; elsewhere (tfjs-node) FastDense keeps matMul
 * and add.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

export const DENSE = 'LatentkitDense';

function denseOn(backendName: string): KernelFunc {
  return ({ inputs, backend }) => {
    const { x, w, b } = inputs as { x: TensorInfo; w: TensorInfo; b: TensorInfo };
    const fused = tf.getKernel('_FusedMatMul', backendName);
    if (fused == null) throw new Error(`${DENSE}: the '${backendName}' backend has no _FusedMatMul kernel`);
    return fused.kernelFunc({ inputs: { a: x, b: w, bias: b }, backend, attrs: { transposeA: false, transposeB: false, activation: 'linear' } });
  };
}

export const denseKernelConfigs: readonly KernelConfig[] = ['wasm', 'cpu'].map((backendName) => ({ kernelName: DENSE, backendName, kernelFunc: denseOn(backendName) }));

export const denseGradConfig: GradConfig = {
  kernelName: DENSE,
  inputsToSave: ['x', 'w'],
  gradFunc: (dy, saved) => {
    const [x, w] = saved;
    const g = dy as tf.Tensor2D;
    return {
      x: () => tf.matMul(g, w, false, true),
      w: () => tf.matMul(x, g, true, false),
      b: () => tf.sum(g, 0),
    };
  },
};

/** Whether the active backend has the kernel (and its gradient is registered). */
export function hasDenseKernel(): boolean {
  return tf.getKernel(DENSE, tf.getBackend()) != null && tf.getGradient(DENSE) != null;
}

/** x [batch, in] · w [in, out] + b [out]. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.engine().runKernel(DENSE, { x, w, b }) as tf.Tensor2D;
}
