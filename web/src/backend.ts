/**
 * Backends in the page: the wasm files come with the app (next to it, under
 * `base`); WebGL only on a real GPU, since a software renderer (SwiftShader)
 * trains slower than wasm. A backend that cannot start falls back to the next.
 */
import * as tf from '@tensorflow/tfjs-core';
import { basePlatform, setBackendPlatform } from 'latentkit/browser';

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

/** `base`: the app's absolute URL (the wasm files are under base/wasm/). */
export function installPageBackends(base: string): void {
  const gpu = typeof OffscreenCanvas !== 'undefined' && hasGpu();
  setBackendPlatform({
    ...basePlatform,
    auto: gpu ? ['webgl', 'wasm', 'cpu'] : ['wasm', 'cpu'],
    async prepare(name) {
      if (name !== 'wasm') return;
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(new URL('wasm/', base).href);
      // TensorFlow.js's pthread build shares the wasm memory with its own workers, which
      // latentkit's kernels (written against the single-memory SIMD build Node runs) do not
      // expect; the SIMD build is the one tested against the cpu backend.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    },
  });
}
