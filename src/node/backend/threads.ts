/**
 * How many threads latentkit's wasm kernels use (Node). Large matrix
 * products are shared out across helper threads (kernels/gemm/threads.ts);
 * the default is every core, or $LATENTKIT_THREADS. The helpers start on
 * the first product that is large enough, not before.
 *
 * Data-parallel training (--workers > 1) already keeps every core busy with
 * one replica each, so it sets this to 1 in every replica.
 */
import { availableParallelism } from 'node:os';
import { UsageError } from '../../core/errors.js';
import { GemmThreads } from './gemm-threads.js';
import { setParallelGemm, type ParallelGemm } from '../../core/backend/kernels/MatMul.js';

let requested: number | undefined;
/** The default as read when the backend started (process.env is slow to read once per product). */
let startDefault: number | undefined;
let pool: GemmThreads | null = null;

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
  dropStalePool();
  return previous;
}

/** Close the helper threads when their number is no longer the setting (the next product starts new ones). */
function dropStalePool(): void {
  if (pool && pool.threads !== computeThreads()) {
    void pool.close();
    pool = null;
  }
}

export function computeThreads(): number {
  return requested ?? startDefault ?? defaultComputeThreads();
}

const sharedProducts: ParallelGemm = {
  accepts(m, n, k) {
    const threads = computeThreads();
    return threads >= 2 && GemmThreads.worthSharing(m, n, k, threads);
  },
  run(heap, p) {
    pool ??= new GemmThreads(computeThreads());
    pool.run(heap, p);
  },
};

/** Let the wasm matrix-product kernels share large products out (called when the wasm backend starts). */
export function installComputeThreads(): void {
  // A bad $LATENTKIT_THREADS fails here, when the backend starts, not at the first product.
  startDefault = defaultComputeThreads();
  dropStalePool();
  setParallelGemm(sharedProducts);
}
