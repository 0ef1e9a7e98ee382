/**
 * Backends in the page: the wasm files come with the app (next to it, under
 * `base`); WebGL only on a real GPU, since a software renderer (SwiftShader)
 * trains slower than wasm. A backend that cannot start falls back to the next.
 *
 * On wasm, large matrix products are shared out over module Web Workers
 * (./gemm-worker.ts) running the same product on one shared memory, the
 * core's scheduling as in Node. That needs SharedArrayBuffer, so a page
 * that is cross-origin isolated (`latentkit lab` sends the headers), and a
 * calling thread that may block on Atomics.wait, so the lab's worker, not
 * the page itself; elsewhere products run on one thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import { basePlatform, setBackendPlatform, SharedProducts, type SpawnGemmHelper } from 'latentkit/browser';

/** Whether WebGL here runs on a GPU rather than in software. */
function hasGpu(): boolean {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2') as WebGL2RenderingContext | null;
    if (!gl) return false;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    return !/swiftshader|llvmpipe|software/i.test(renderer);
  } catch {
    return false;
  }
}

/** Whether this context can share products out: shared memory exists, and this is a worker. */
export function canShareProducts(): boolean {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined' && typeof WorkerGlobalScope !== 'undefined';
}

/** Threads for the products: `requested`, else every core the browser reports; 1 where products cannot be shared. */
export function pageThreads(requested?: number): number {
  if (!canShareProducts()) return 1;
  return Math.max(1, requested ?? navigator.hardwareConcurrency ?? 1);
}

const spawnHelper: SpawnGemmHelper = (init) => {
  // The literal `new Worker(new URL(...), { type: 'module' })` is what vite bundles as a worker.
  const worker = new Worker(new URL('./gemm-worker.ts', import.meta.url), { type: 'module', name: 'latentkit-gemm' });
  worker.postMessage(init);
  return worker;
};

let threads = 1;
/** The page's shared products (the count of helper panels shows whether they are shared). */
export const pageProducts = new SharedProducts(() => threads, spawnHelper);

/** `base`: the app's absolute URL (the wasm files are under base/wasm/); `requestedThreads`: ?threads=N. */
export function installPageBackends(base: string, requestedThreads?: number): void {
  const gpu = typeof OffscreenCanvas !== 'undefined' && hasGpu();
  threads = pageThreads(requestedThreads);
  setBackendPlatform({
    ...basePlatform,
    auto: gpu ? ['webgl', 'wasm', 'cpu'] : ['wasm', 'cpu'],
    async prepare(name) {
      if (name !== 'wasm') return;
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(new URL('wasm/', base).href);
      // TensorFlow.js's pthread build shares the wasm memory with its own workers, which
      // latentkit's kernels (written against the single-memory SIMD build Node runs) do not
      // expect; the SIMD build is the one tested against the cpu backend, and latentkit
      // shares its own products out instead (above).
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    },
    ready(name) {
      if (name === 'wasm') pageProducts.install();
    },
  });
}

/** The threads products are shared over now. */
export const productThreads = (): number => threads;
