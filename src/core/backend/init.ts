/**
 * The one place that decides which TensorFlow.js backend runs. The core
 * knows the backends every platform has (wasm with latentkit's kernels, cpu;
 * webgl where there is a DOM); a platform adds its own (Node: tfjs-node) and
 * its set-up (Node: threads, relaxed SIMD) through a BackendPlatform.
 * Backends load when first started, not on import.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's gradients are registered by tfjs-layers' entry; training needs them
// even when no layer was imported yet.
import '@tensorflow/tfjs-layers';
import { FieldError, UsageError } from '../errors.js';
import { BACKEND_CHOICES, type BackendChoice, type BackendName } from './choices.js';
import { installFastWasmRead } from './wasm/read.js';

export interface BackendPlatform {
  /** Backends to try for `auto`, best first. */
  readonly auto: readonly BackendName[];
  /** Why `name` cannot run here, or undefined when it can. */
  unavailable?(name: BackendName): string | undefined;
  /** Before `name` is activated (load its package, point wasm at its files). */
  prepare?(name: BackendName): Promise<void>;
  /** After `name` is active, before latentkit's kernels are installed (wasm feature flags). */
  beforeKernels?(name: BackendName): void;
  /** After everything (shared-memory threads for the products). */
  ready?(name: BackendName): Promise<void> | void;
}

const hasDom = typeof document !== 'undefined' || typeof OffscreenCanvas !== 'undefined';

/** A platform with nothing of its own: a browser page or worker. */
export const basePlatform: BackendPlatform = {
  auto: hasDom ? ['webgl', 'wasm', 'cpu'] : ['wasm', 'cpu'],
  unavailable: (name) => (name === 'tensorflow' ? 'needs Node and the @tensorflow/tfjs-node package' : name === 'webgl' && !hasDom ? 'needs a browser (a canvas)' : undefined),
};

let platform: BackendPlatform = basePlatform;

/** Replace the platform (Node does at import); returns the previous one. */
export function setBackendPlatform(next: BackendPlatform): BackendPlatform {
  const previous = platform;
  platform = next;
  return previous;
}

/** Pure decision: the ordered list of backends to try for a request. */
export function backendCandidates(choice: BackendChoice, on: BackendPlatform = platform): BackendName[] {
  if (!BACKEND_CHOICES.includes(choice)) throw new FieldError('backend', `must be one of ${BACKEND_CHOICES.join(', ')}, got '${String(choice)}'`);
  if (choice === 'auto') return on.auto.filter((name) => on.unavailable?.(name) === undefined);
  const why = on.unavailable?.(choice);
  if (why) throw new FieldError('backend', `${choice} is not available here: it ${why}`);
  return [choice];
}

async function load(name: BackendName): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
}

async function activate(name: BackendName): Promise<boolean> {
  try {
    await platform.prepare?.(name);
    await load(name);
    // The cpu backend otherwise prints a banner advertising tfjs-node on first use.
    if (name === 'cpu') tf.env().set('PROD', true);
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok;
  } catch {
    return false;
  }
}

const current = () => (tf.engine() as unknown as { backendName: string | null }).backendName;

/** latentkit's kernels: its fused Adam and BCE everywhere, its SIMD products and more on wasm. */
async function installKernels(name: BackendName): Promise<void> {
  const kernels = await import('./kernels/register.js');
  kernels.registerAddedKernels();
  if (name === 'wasm') {
    kernels.installLatentkitWasmKernels();
    installFastWasmRead(tf.findBackend('wasm')!);
  }
}

/**
 * Activate the requested backend (the first that works for `auto`) with
 * latentkit's kernels, and return its name. Safe to call more than once.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendName> {
  const candidates = backendCandidates(choice);
  for (const name of candidates) {
    if (current() === name || (await activate(name))) {
      platform.beforeKernels?.(name);
      await installKernels(name);
      await platform.ready?.(name);
      return name;
    }
  }
  throw new UsageError(`could not start the TensorFlow.js backend '${candidates.join("' or '")}'`);
}

/** The active backend, starting the best one if none is (what loading a run does). */
export async function ensureBackend(): Promise<string> {
  const name = current();
  if (name && name !== 'undefined') {
    await installKernels(name as BackendName);
    return name;
  }
  return initBackend('auto');
}
