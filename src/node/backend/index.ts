/**
 * The one place that decides which TensorFlow.js backend runs.
 *
 * `auto` prefers the native `tensorflow` backend when the user has installed
 * the optional `@tensorflow/tfjs-node` package, then `wasm` (XNNPACK, SIMD),
 * then the pure-JavaScript `cpu` backend.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core alone registers no gradient functions; the tfjs-layers bundle registers them all.
import '@tensorflow/tfjs-layers';
import { UsageError } from '../../core/errors.js';
import { installLatentkitWasmKernels, registerAddedKernels } from '../../core/backend/kernels/register.js';
import { installComputeThreads } from './threads.js';
import { gemmCodegenSettings } from '../../core/backend/kernels/gemm/simd_gemm.js';
import { hasRelaxedSimd } from '../../core/backend/wasm/features.js';
import { installFastWasmRead } from '../../core/backend/wasm/read.js';

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

export const BACKEND_CHOICES = ['auto', 'wasm', 'cpu', 'tensorflow'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

/** What the machine offers; injectable so the selection logic is testable. */
export interface BackendAvailability {
  /** Whether `@tensorflow/tfjs-node` can be resolved from here. */
  tensorflow: boolean;
}

/** Pure decision: the ordered list of backends to try for a request. */
export function backendCandidates(choice: BackendChoice, available: BackendAvailability): BackendName[] {
  if (choice === 'tensorflow' && !available.tensorflow) {
    throw new UsageError("--backend tensorflow needs the optional package @tensorflow/tfjs-node (npm install @tensorflow/tfjs-node); use --backend wasm or cpu instead");
  }
  if (choice !== 'auto') return [choice];
  return available.tensorflow ? ['tensorflow', 'wasm', 'cpu'] : ['wasm', 'cpu'];
}

export function detectAvailability(): BackendAvailability {
  const require = createRequire(import.meta.url);
  try {
    require.resolve('@tensorflow/tfjs-node');
    return { tensorflow: true };
  } catch {
    return { tensorflow: false };
  }
}

const setupHooks: Array<(backend: BackendName) => void | Promise<void>> = [];

/** Run `hook` whenever a backend is activated (custom kernels register here). */
export function onBackendReady(hook: (backend: BackendName) => void | Promise<void>): void {
  setupHooks.push(hook);
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'tensorflow') {
    // Importing tfjs-node registers the 'tensorflow' backend with tfjs-core.
    await import('@tensorflow/tfjs-node' as string);
  }
  // The cpu backend otherwise prints a banner advertising tfjs-node on first use.
  if (name === 'cpu') tf.env().set('PROD', true);
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok;
  } catch {
    return false;
  }
}

/**
 * Activate the requested backend (first working candidate for `auto`) and
 * return its name. Safe to call more than once.
 */
export async function initBackend(choice: BackendChoice = 'auto', available = detectAvailability()): Promise<BackendName> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new UsageError(`unknown backend '${choice}' (expected one of ${BACKEND_CHOICES.join(', ')})`);
  }
  const candidates = backendCandidates(choice, available);
  for (const name of candidates) {
    if ((tf.engine() as unknown as { backendName: string | null }).backendName === name || (await activate(name))) {
      registerAddedKernels();
      if (name === 'wasm') {
        enableRelaxedSimd();
        installLatentkitWasmKernels();
        installFastWasmRead(tf.findBackend('wasm')!);
        installComputeThreads();
      }
      for (const hook of setupHooks) await hook(name);
      return name;
    }
  }
  throw new UsageError(`could not start the TensorFlow.js backend '${candidates.join("' or '")}'`);
}

export { computeThreads, defaultComputeThreads, setComputeThreads } from './threads.js';
export { tf };
