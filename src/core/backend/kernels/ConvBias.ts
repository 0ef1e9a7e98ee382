/**
 * y = conv2d(x, W) + b (NHWC, 'same' / 'valid' padding, no dilation) as one
 * kernel with a registered gradient, for training.
 *
 * tf.fused.conv2d does the same in one kernel, but its gradient is a custom
 * gradient that always computes ∂L/∂x, ∂L/∂W and ∂L/∂b; for a network's
 * first convolution ∂L/∂x (a Conv2DBackpropInput as large as the forward
 * pass) is thrown away. This kernel runs the backend's own FusedConv2D (on
 * wasm, latentkit's im2col product with the bias in its epilogue), and its
 * gradient config hands out each gradient only when the tape asks for it:
 *
 *   ∂x = conv2dTranspose(dy, W),   ∂W = Conv2DBackpropFilter(x, dy),   ∂b = Σ_{batch, h, w} dy
 *
 * Registered for wasm and cpu; elsewhere FastConv2D keeps the layer's own path.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

export const CONV_BIAS = 'LatentkitConvBias';

/** The attributes: strides and padding; NHWC, dilation 1. */
export interface ConvBiasAttrs {
  strides: [number, number];
  pad: 'same' | 'valid';
}

function convBiasOn(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, filter, bias } = inputs as { x: TensorInfo; filter: TensorInfo; bias: TensorInfo };
    const { strides, pad } = attrs as unknown as ConvBiasAttrs;
    const fused = tf.getKernel('FusedConv2D', backendName);
    if (fused == null) throw new Error(`${CONV_BIAS}: the '${backendName}' backend has no FusedConv2D kernel`);
    const fusedAttrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined, activation: 'linear', leakyreluAlpha: 0 };
    return fused.kernelFunc({ inputs: { x, filter, bias }, backend, attrs: fusedAttrs as unknown as NamedAttrMap });
  };
}

export const convBiasKernelConfigs: readonly KernelConfig[] = ['wasm', 'cpu'].map((backendName) => ({ kernelName: CONV_BIAS, backendName, kernelFunc: convBiasOn(backendName) }));

export const convBiasGradConfig: GradConfig = {
  kernelName: CONV_BIAS,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const g = dy as tf.Tensor4D;
    const { strides, pad } = attrs as unknown as ConvBiasAttrs;
    return {
      x: () => tf.conv2dTranspose(g, filter, x.shape, strides, pad),
      filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: g }, { strides, pad, dataFormat: 'NHWC', filterShape: filter.shape } as unknown as NamedAttrMap) as tf.Tensor4D,
      bias: () => tf.sum(g, [0, 1, 2]),
    };
  },
};

/** Whether the active backend has the kernel (and its gradient is registered). */
export function hasConvBiasKernel(): boolean {
  return tf.getKernel(CONV_BIAS, tf.getBackend()) != null && tf.getGradient(CONV_BIAS) != null;
}

/** conv2d(x [b, h, w, in], filter [kh, kw, in, out]) + bias [out]. */
export function convBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, attrs: ConvBiasAttrs): tf.Tensor4D {
  return tf.engine().runKernel(CONV_BIAS, { x, filter, bias }, attrs as unknown as NamedAttrMap) as tf.Tensor4D;
}
