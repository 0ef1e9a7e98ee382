/** The part of `MathBackendCPU` latentkit's cpu kernels use (structural, so no deep import is needed). */
import type { TensorInfo } from '@tensorflow/tfjs-core';

export interface CpuBackendLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}
