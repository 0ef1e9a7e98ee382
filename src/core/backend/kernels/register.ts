/**
 * Registers latentkit's extra kernels for the TensorFlow.js wasm backend, and
 * kernels of its own (the fused Adam update, for wasm and cpu; see
 * `registerAddedKernels`).
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 lacks `Conv2DBackpropFilter`, so the
 * weight gradient of conv2d and conv2dTranspose cannot be computed there
 * ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'").
 *
 * Missing kernels are added idempotently and defer to TensorFlow.js: a kernel
 * already registered for 'wasm' (by a newer tfjs-backend-wasm, or by an
 * earlier call) is left alone.
 *
 * Opt-in: `replaceConv2DBackpropInput: true` swaps the wasm backend's own
 * (correct but naive-loop, ~10x slower than conv2d) `Conv2DBackpropInput` for
 * a GEMM + col2im version. That kernel is the input gradient of conv2d and
 * the forward pass of conv2dTranspose, so it dominates conv-autoencoder
 * training time on wasm.
 *
 * May be called before or after the wasm backend is initialised; none of
 * these kernels needs a setupFunc.
 */
// Make sure the wasm backend's own kernels are registered first, so that
// they cannot later overwrite (or be mistaken for missing next to) ours.
import '@tensorflow/tfjs-backend-wasm';
import { getGradient, getKernel, registerGradient, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { installFastWasmMatMul } from './BatchMatMul.js';
import { installSimdMatMul } from './MatMul.js';
import { installSimdConv2D } from './Conv2D.js';
import { installColumnSum } from './Sum.js';
import { installBiasAdd } from './BiasAdd.js';
import { installSharedIdentity } from './Identity.js';
import { adamUpdateCpuConfig, adamUpdateWasmConfig } from './AdamUpdate.js';
import { bceGradConfig, bceKernelConfigs } from './BceWithLogits.js';
import { denseGradConfig, denseKernelConfigs } from './Dense.js';
import { convBiasGradConfig, convBiasKernelConfigs } from './ConvBias.js';
import { reluGradConfig, reluKernelConfigs } from './Relu.js';
import { batchNormKernelConfigs } from './BatchNorm.js';

export { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
export { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';

/** Kernels missing from tfjs-backend-wasm that latentkit adds (only where absent). */
export const missingWasmKernelConfigs: readonly KernelConfig[] = [conv2DBackpropFilterConfig];

export interface RegisterWasmKernelsOptions {
  /** Replace the wasm backend's slow Conv2DBackpropInput with latentkit's (default false). */
  replaceConv2DBackpropInput?: boolean;
  /** Wrap BatchMatMul so transposed operands take the fast XNNPACK path (default false). */
  fastTransposedMatMul?: boolean;
  /** BatchMatMul and _FusedMatMul on latentkit's SIMD product, over whatever was registered before (default false). */
  simdMatMul?: boolean;
  /** Conv2D and FusedConv2D as im2col on latentkit's SIMD product, over the wasm backend's (default false). */
  simdConv2D?: boolean;
  /** Sum over leading axes as SIMD column sums (default false). */
  columnSum?: boolean;
  /** Add of a per-channel vector (a bias) in SIMD (default false). */
  biasAdd?: boolean;
  /** Identity (clone) shares the input's data instead of copying it (default false). */
  sharedIdentity?: boolean;
}

export interface KernelRegistrationReport {
  /** Missing kernels registered by this call. */
  registered: string[];
  /** Kernels left alone because 'wasm' already had one (or ours was already in place). */
  skipped: string[];
  /** Existing wasm kernels replaced by ours in this call (opt-in only). */
  replaced: string[];
}

export function registerWasmKernels(options: RegisterWasmKernelsOptions = {}): KernelRegistrationReport {
  const report: KernelRegistrationReport = { registered: [], skipped: [], replaced: [] };
  for (const config of missingWasmKernelConfigs) {
    if (getKernel(config.kernelName, config.backendName) != null) {
      report.skipped.push(config.kernelName);
    } else {
      registerKernel(config);
      report.registered.push(config.kernelName);
    }
  }
  if (options.replaceConv2DBackpropInput) {
    const config = conv2DBackpropInputConfig;
    const current = getKernel(config.kernelName, config.backendName);
    if (current?.kernelFunc === config.kernelFunc) {
      report.skipped.push(config.kernelName);
    } else {
      if (current != null) unregisterKernel(config.kernelName, config.backendName);
      registerKernel(config);
      (current != null ? report.replaced : report.registered).push(config.kernelName);
    }
  }
  if (options.fastTransposedMatMul) {
    installFastWasmMatMul();
    report.replaced.push('BatchMatMul');
  }
  if (options.simdMatMul) {
    for (const name of installSimdMatMul()) if (!report.replaced.includes(name)) report.replaced.push(name);
  }
  if (options.simdConv2D) report.replaced.push(...installSimdConv2D());
  if (options.columnSum) report.replaced.push(...installColumnSum());
  if (options.biasAdd) report.replaced.push(...installBiasAdd());
  if (options.sharedIdentity) report.replaced.push(...installSharedIdentity());
  return report;
}

/**
 * Kernels of latentkit's own (no TensorFlow.js equivalent to replace), for
 * every backend that has an implementation; registered once, idempotently.
 */
export const addedKernelConfigs: readonly KernelConfig[] = [adamUpdateWasmConfig, adamUpdateCpuConfig, ...bceKernelConfigs, ...denseKernelConfigs, ...convBiasKernelConfigs, ...reluKernelConfigs, ...batchNormKernelConfigs];

/** Gradients of latentkit's own kernels. */
export const addedGradientConfigs: readonly GradConfig[] = [bceGradConfig, denseGradConfig, convBiasGradConfig, reluGradConfig];

export function registerAddedKernels(): string[] {
  const registered: string[] = [];
  for (const config of addedGradientConfigs) if (getGradient(config.kernelName) == null) registerGradient(config);
  for (const config of addedKernelConfigs) {
    if (getKernel(config.kernelName, config.backendName) == null) {
      registerKernel(config);
      registered.push(`${config.kernelName}/${config.backendName}`);
    }
  }
  return registered;
}

/**
 * What latentkit runs with on wasm: the missing kernels plus the faster
 * replacements. The SIMD product goes on top of the transpose-first
 * wrapper, which stays as its fallback where WebAssembly SIMD is missing.
 */
export function installLatentkitWasmKernels(): KernelRegistrationReport {
  registerAddedKernels();
  return registerWasmKernels({ replaceConv2DBackpropInput: true, fastTransposedMatMul: true, simdMatMul: true, simdConv2D: true, columnSum: true, biasAdd: true, sharedIdentity: true });
}
