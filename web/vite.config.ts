/**
 * The lab's build: `npm run build:lab` writes static files to dist/lab that
 * work from any static host (relative paths). TensorFlow.js's wasm binaries
 * are copied next to the app under wasm/, so the page never depends on a CDN.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = path.resolve(root, '../node_modules/@tensorflow/tfjs-backend-wasm/dist');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Serve (dev) and emit (build) the wasm binaries under wasm/. */
function tfjsWasm(): Plugin {
  return {
    name: 'latentkit-tfjs-wasm',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = req.url?.match(/\/wasm\/([\w.-]+\.wasm)$/)?.[1];
        if (!file || !WASM_FILES.includes(file)) return next();
        res.setHeader('content-type', 'application/wasm');
        fs.createReadStream(path.join(wasmDir, file)).pipe(res);
      });
    },
    generateBundle() {
      for (const file of WASM_FILES) this.emitFile({ type: 'asset', fileName: `wasm/${file}`, source: fs.readFileSync(path.join(wasmDir, file)) });
    },
  };
}

export default defineConfig({
  root,
  base: './',
  resolve: { alias: { 'latentkit/browser': path.resolve(root, '../src/browser.ts') } },
  plugins: [tfjsWasm()],
  worker: { format: 'es' },
  build: { outDir: path.resolve(root, '../dist/lab'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
});
