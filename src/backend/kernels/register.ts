/**
 * Registers latentkit's extra kernels for the TensorFlow.js wasm backend.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 lacks `Conv2DBackpropFilter`, so the
 * weight gradient of conv2d and conv2dTranspose cannot be computed there
 * ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'").
 *
 * Registration is idempotent and defers to TensorFlow.js: a kernel that is
 * already registered for 'wasm' (by a newer tfjs-backend-wasm, or by an
 * earlier call) is left alone. It may be called before or after the wasm
 * backend is initialised; none of these kernels needs a setupFunc.
 */
import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';

/** Every kernel latentkit can add to the wasm backend. */
export const wasmKernelConfigs: readonly KernelConfig[] = [conv2DBackpropFilterConfig];

export interface KernelRegistrationReport {
  /** Kernels registered by this call. */
  registered: string[];
  /** Kernels left alone because 'wasm' already had one. */
  skipped: string[];
}

export function registerWasmKernels(): KernelRegistrationReport {
  const report: KernelRegistrationReport = { registered: [], skipped: [] };
  for (const config of wasmKernelConfigs) {
    if (getKernel(config.kernelName, config.backendName) != null) {
      report.skipped.push(config.kernelName);
    } else {
      registerKernel(config);
      report.registered.push(config.kernelName);
    }
  }
  return report;
}
