/**
 * The backend in Node: the core's choice (src/core/backend/init.ts) with
 * what only Node has. `auto` prefers the native `tensorflow` backend when
 * the optional `@tensorflow/tfjs-node` package is installed, then wasm
 * (with relaxed SIMD switched on and large products shared across threads),
 * then cpu. Importing this module installs the Node platform.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { backendCandidates, setBackendPlatform, type BackendPlatform } from '../../core/backend/init.js';
import type { BackendChoice, BackendName } from '../../core/backend/choices.js';
import { gemmCodegenSettings } from '../../core/backend/kernels/gemm/simd_gemm.js';
import { hasRelaxedSimd } from '../../core/backend/wasm/features.js';
import { UsageError } from '../../core/errors.js';
import { installComputeThreads } from './threads.js';

/**
 * Relaxed SIMD (fused multiply-add in the matrix-product kernel) is standard
 * WebAssembly and on by default in current browsers, but Node 20's V8 keeps
 * it behind a flag; V8 reads wasm feature flags when a module is compiled, so
 * switching it on before the first kernel is compiled is enough. It only adds
 * instructions: modules that do not use them compile and run as before.
 * LATENTKIT_RELAXED_SIMD=0 keeps the plain multiply-then-add kernel (results
 * bit-for-bit those of earlier versions and of engines without FMA).
 */
export function enableRelaxedSimd(env: Record<string, string | undefined> = process.env): boolean {
  const text = env.LATENTKIT_RELAXED_SIMD;
  if (text !== undefined && text !== '' && text !== '0' && text !== '1') throw new UsageError(`LATENTKIT_RELAXED_SIMD must be 0 or 1 (got '${text}')`);
  gemmCodegenSettings.fma = text !== '0';
  if (gemmCodegenSettings.fma && !hasRelaxedSimd()) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return gemmCodegenSettings.fma && hasRelaxedSimd();
}

/** What the machine offers; injectable so the selection logic is testable. */
export interface BackendAvailability {
  /** Whether `@tensorflow/tfjs-node` can be resolved from here. */
  tensorflow: boolean;
}

export function detectAvailability(): BackendAvailability {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return { tensorflow: true };
  } catch {
    return { tensorflow: false };
  }
}

/** The Node platform for a machine with `available`. */
export function nodePlatform(available: BackendAvailability = detectAvailability()): BackendPlatform {
  return {
    auto: available.tensorflow ? ['tensorflow', 'wasm', 'cpu'] : ['wasm', 'cpu'],
    unavailable(name) {
      if (name === 'webgl') return 'needs a browser with a GPU (use the lab)';
      if (name === 'tensorflow' && !available.tensorflow) return 'needs the optional package @tensorflow/tfjs-node (npm install @tensorflow/tfjs-node); use wasm or cpu';
      return undefined;
    },
    async prepare(name) {
      // Importing tfjs-node registers the 'tensorflow' backend with tfjs-core.
      if (name === 'tensorflow') await import('@tensorflow/tfjs-node' as string);
    },
    beforeKernels(name) {
      if (name === 'wasm') enableRelaxedSimd();
    },
    ready(name) {
      if (name === 'wasm') installComputeThreads();
    },
  };
}

setBackendPlatform(nodePlatform());

/** The ordered backends to try in Node (the core's decision with Node's availability). */
export function nodeBackendCandidates(choice: BackendChoice, available: BackendAvailability): BackendName[] {
  return backendCandidates(choice, nodePlatform(available));
}

export { initBackend, ensureBackend } from '../../core/backend/init.js';
export { BACKEND_CHOICES, type BackendChoice, type BackendName } from '../../core/backend/choices.js';
export { computeThreads, defaultComputeThreads, setComputeThreads } from './threads.js';
