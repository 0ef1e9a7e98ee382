/**
 * Add of a per-channel vector on the wasm backend: x[..., C] + b with b
 * shaped [C] or [1, …, 1, C], float32 (the bias of a layer the backend does
 * not fuse, such as conv2dTranspose's). The wasm backend's Add takes a
 * scalar broadcasting loop for it: ~1.4 ms for a batch of 32 64×64×3
 * outputs. Here b is tiled into a pattern of g·C values, a multiple of 4
 * (g = 4 / gcd(C, 4)), and x is added to it in chunks of the pattern, four
 * floats at a time, in WebAssembly SIMD; the last values past a whole chunk
 * in JavaScript. Each output is one float32 addition, as the backend's.
 *
 * Any other Add (same shapes, other broadcasts, other dtypes) goes to the
 * backend's own kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { I32, instantiateOn, Locals, moduleBytes, op, V128, type FunctionSpec } from '../wasm/assembler.js';
import { asWasmBackend, heapF32, wasmMemory, wrapWasmKernel } from './wasm_util.js';

/**
 * addPattern(x, pattern, out, chunks, vectors): for each of `chunks` chunks
 * of 4·vectors floats, out = x + pattern (byte offsets).
 */
function addPattern(): FunctionSpec {
  const [X, PATTERN, OUT, CHUNKS, VECTORS] = [0, 1, 2, 3, 4];
  const locals = new Locals(5);
  const [v, p] = locals.addMany(I32, 2);
  const sum = locals.add(V128);
  const code: number[] = [];
  const countDown = (counter: number, body: number[]) => [
    ...op.block, ...op.loop, ...op.get(counter), ...op.i32Eqz, ...op.brIf(1),
    ...body,
    ...op.get(counter), ...op.i32(-1), ...op.i32Add, ...op.set(counter), ...op.br(0), ...op.end, ...op.end,
  ];
  const step = (local: number) => [...op.get(local), ...op.i32(16), ...op.i32Add, ...op.set(local)];
  const oneVector = [
    ...op.get(X), ...op.v128Load(), ...op.get(p), ...op.v128Load(), ...op.f32x4Add, ...op.set(sum),
    ...op.get(OUT), ...op.get(sum), ...op.v128Store(),
    ...step(X), ...step(OUT), ...step(p),
  ];
  code.push(...countDown(CHUNKS, [...op.get(PATTERN), ...op.set(p), ...op.get(VECTORS), ...op.set(v), ...countDown(v, oneVector)]));
  return { name: 'addPattern', params: [I32, I32, I32, I32, I32], locals: locals.types, body: code };
}

type AddPattern = (x: number, pattern: number, out: number, chunks: number, vectors: number) => void;
const cache = new WeakMap<WebAssembly.Memory, { addPattern: AddPattern } | null>();

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** C when b is a per-channel vector for x ([C] or [1, …, 1, C] against x's last axis), else null. */
function channels(x: TensorInfo, b: TensorInfo): number | null {
  if (x.dtype !== 'float32' || b.dtype !== 'float32' || x.shape.length < 2 || b.shape.length > x.shape.length) return null;
  const c = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(b.shape);
  return c > 0 && size === c && b.shape[b.shape.length - 1] === c ? c : null;
}

function withFallback(original: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const memory = wasmMemory(args.backend);
    const simd = memory ? instantiateOn(cache, memory, () => moduleBytes([addPattern()])) : null;
    // x + bias or bias + x (addition commutes bit for bit).
    const [x, bias] = channels(a, b) != null ? [a, b] : channels(b, a) != null ? [b, a] : [null, null];
    if (simd == null || x == null || bias == null || tf.util.sizeFromShape(x.shape) < 4096) return original(args);
    const backend = asWasmBackend(args.backend);
    const c = x.shape[x.shape.length - 1];
    const width = c * (4 / gcd(c, 4));
    const out = backend.makeOutput(x.shape, 'float32');
    const pattern = backend.makeOutput([width], 'float32');
    try {
      // Views after the last allocation.
      const [xs, bs, ys, ps] = [heapF32(backend, x), heapF32(backend, bias), heapF32(backend, out), heapF32(backend, pattern)];
      for (let i = 0; i < width; i++) ps[i] = bs[i % c];
      const chunks = Math.floor(xs.length / width);
      simd.addPattern(xs.byteOffset, ps.byteOffset, ys.byteOffset, chunks, width / 4);
      for (let i = chunks * width; i < xs.length; i++) ys[i] = xs[i] + bs[i % c];
    } finally {
      backend.disposeData(pattern.dataId);
    }
    return out;
  };
}

let installed = false;

/** Put the per-channel path in front of the wasm backend's Add (once). */
export function installBiasAdd(): string[] {
  if (installed || !wrapWasmKernel('Add', withFallback)) return [];
  installed = true;
  return ['Add'];
}
