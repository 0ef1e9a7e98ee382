/**
 * How many threads latentkit's wasm kernels use (Node). Large matrix
 * products are shared out across helper worker threads (the core's
 * gemm-threads.ts, which runs gemm-helper.ts in each);
 * the default is every core, or $LATENTKIT_THREADS. The helpers start on
 * the first product that is large enough, not before.
 *
 * Data-parallel training (--workers > 1) already keeps every core busy with
 * one replica each, so it sets this to 1 in every replica.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../../core/errors.js';
import { helperSource } from '../../core/backend/gemm-helper.js';
import { SharedProducts, type SpawnGemmHelper } from '../../core/backend/gemm-threads.js';

let requested: number | undefined;
/** The default as read when the backend started (process.env is slow to read once per product). */
let startDefault: number | undefined;

/** $LATENTKIT_THREADS when set, otherwise every core the process may use. */
export function defaultComputeThreads(env: Record<string, string | undefined> = process.env, cores = availableParallelism()): number {
  const text = env.LATENTKIT_THREADS;
  if (text === undefined || text === '') return Math.max(1, cores);
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`LATENTKIT_THREADS must be a positive integer (got '${text}')`);
  return n;
}

/** Threads for the kernels from now on (undefined: back to the default); returns the previous setting. */
export function setComputeThreads(n: number | undefined): number | undefined {
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new UsageError(`threads must be a positive integer (got ${n})`);
  const previous = requested;
  requested = n;
  sharedProducts.dropStale();
  return previous;
}

export function computeThreads(): number {
  return requested ?? startDefault ?? defaultComputeThreads();
}

/**
 * A helper is a worker thread evaluating the helper loop's own source (the
 * same function a page's Web Worker imports), so it runs from the sources
 * under the test runner as from the build. Unref'd: it never keeps a
 * process alive.
 */
const HELPER_SOURCE = helperSource(`require('node:worker_threads').workerData`);
const spawnHelper: SpawnGemmHelper = (init) => {
  const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: init });
  worker.unref();
  return worker;
};

const sharedProducts = new SharedProducts(computeThreads, spawnHelper);

/** Panels of shared products computed by helper threads so far (what shows that the threads share the work). */
export function helperPanels(): number {
  return sharedProducts.helperPanels;
}

/** Let the wasm matrix-product kernels share large products out (called when the wasm backend starts). */
export function installComputeThreads(): void {
  // A bad $LATENTKIT_THREADS fails here, when the backend starts, not at the first product.
  startDefault = defaultComputeThreads();
  sharedProducts.install();
}
