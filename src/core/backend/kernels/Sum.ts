/**
 * Sum over the leading axes on the wasm backend (column sums), e.g. the
 * bias gradient Σ_rows ∂L/∂y of every dense layer.
 *
 * The wasm backend's Sum reduces only innermost axes, so for these it first
 * transposes the whole tensor, then sums each output with a scalar loop:
 * ~0.9 ms of a 784-400-20 VAE step over 7 calls. Here each row is added
 * into the running column sums in one pass, 16 floats per iteration in
 * WebAssembly SIMD (four accumulators), the columns past the last multiple
 * of 16 in JavaScript. Sums run over rows in order, in float32.
 *
 * Other reductions (inner axes, non-float32 data, all axes) go to the
 * backend's own kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { I32, instantiateOn, Locals, moduleBytes, op, V128, type FunctionSpec } from '../wasm/assembler.js';
import { asWasmBackend, heapF32, wasmMemory, wrapWasmKernel } from './wasm_util.js';

/** Columns per SIMD iteration: four vectors of four. */
const WIDTH = 16;

/**
 * colsum(x, out, rows, blocks, stride): for each of `blocks` 16-column blocks,
 * out[0..16) = Σ_r x[r·stride .. +16) (byte offsets; stride in bytes).
 */
function columnSums(): FunctionSpec {
  const [X, OUT, ROWS, BLOCKS, STRIDE] = [0, 1, 2, 3, 4];
  const locals = new Locals(5);
  const acc = locals.addMany(V128, 4);
  const [row, at] = locals.addMany(I32, 2);
  const code: number[] = [];
  // while (blocks--) { acc = 0; for each row: acc += x[at..]; store; x += 64; out += 64 }
  code.push(...op.block, ...op.loop, ...op.get(BLOCKS), ...op.i32Eqz, ...op.brIf(1));
  acc.forEach((a) => code.push(...op.v128Zero, ...op.set(a)));
  code.push(...op.get(X), ...op.set(at), ...op.get(ROWS), ...op.set(row));
  code.push(...op.block, ...op.loop, ...op.get(row), ...op.i32Eqz, ...op.brIf(1));
  acc.forEach((a, v) => code.push(...op.get(a), ...op.get(at), ...op.v128Load(16 * v), ...op.f32x4Add, ...op.set(a)));
  code.push(...op.get(at), ...op.get(STRIDE), ...op.i32Add, ...op.set(at));
  code.push(...op.get(row), ...op.i32(-1), ...op.i32Add, ...op.set(row), ...op.br(0), ...op.end, ...op.end);
  acc.forEach((a, v) => code.push(...op.get(OUT), ...op.get(a), ...op.v128Store(16 * v)));
  code.push(...op.get(X), ...op.i32(4 * WIDTH), ...op.i32Add, ...op.set(X));
  code.push(...op.get(OUT), ...op.i32(4 * WIDTH), ...op.i32Add, ...op.set(OUT));
  code.push(...op.get(BLOCKS), ...op.i32(-1), ...op.i32Add, ...op.set(BLOCKS), ...op.br(0), ...op.end, ...op.end);
  return { name: 'colsum', params: [I32, I32, I32, I32, I32], locals: locals.types, body: code };
}

type ColumnSums = (x: number, out: number, rows: number, blocks: number, stride: number) => void;
const cache = new WeakMap<WebAssembly.Memory, { colsum: ColumnSums } | null>();

/** Leading axes 0..r-1 as the reduction, or null for any other set of axes. */
function leadingAxes(axis: number | number[], rank: number): number | null {
  const axes = tf.util.parseAxisParam(axis, Array<number>(rank).fill(1)).sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= rank) return null;
  return axes.every((a, i) => a === i) ? axes.length : null;
}

function withFallback(original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const memory = wasmMemory(args.backend);
    const simd = memory ? instantiateOn(cache, memory, () => moduleBytes([columnSums()])) : null;
    const lead = x.dtype === 'float32' ? leadingAxes(axis, x.shape.length) : null;
    if (simd == null || lead == null) return original(args);
    const backend = asWasmBackend(args.backend);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, lead));
    const tail = x.shape.slice(lead);
    const cols = tf.util.sizeFromShape(tail);
    const out = backend.makeOutput(keepDims ? [...Array<number>(lead).fill(1), ...tail] : tail, 'float32');
    if (cols > 0 && cols < WIDTH && rows >= 2 * WIDTH) return narrowSums(backend, simd.colsum, x, out, rows, cols);
    const [xs, sums] = [heapF32(backend, x), heapF32(backend, out)];
    const blocks = Math.floor(cols / WIDTH);
    if (blocks > 0) simd.colsum(xs.byteOffset, sums.byteOffset, rows, blocks, 4 * cols);
    for (let j = WIDTH * blocks; j < cols; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s = Math.fround(s + xs[r * cols + j]);
      sums[j] = s;
    }
    return out;
  };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Fewer columns than a SIMD block (the bias gradient of an RGB output
 * layer: 3): g consecutive rows side by side are one row of g·cols values,
 * a multiple of 16, summed with SIMD; then the g partial sums of each
 * column, and the last rows mod g, are added in order. (The scalar loop
 * over 131,072 rows of 3 took ~1 ms.)
 */
function narrowSums(backend: ReturnType<typeof asWasmBackend>, colsum: ColumnSums, x: TensorInfo, out: TensorInfo, rows: number, cols: number): TensorInfo {
  const g = WIDTH / gcd(cols, WIDTH);
  const wide = g * cols;
  const groups = Math.floor(rows / g);
  const partial = backend.makeOutput([wide], 'float32');
  try {
    // Views after the last allocation.
    const [xs, sums, parts] = [heapF32(backend, x), heapF32(backend, out), heapF32(backend, partial)];
    colsum(xs.byteOffset, parts.byteOffset, groups, wide / WIDTH, 4 * wide);
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let q = 0; q < g; q++) s = Math.fround(s + parts[q * cols + j]);
      for (let r = groups * g; r < rows; r++) s = Math.fround(s + xs[r * cols + j]);
      sums[j] = s;
    }
  } finally {
    backend.disposeData(partial.dataId);
  }
  return out;
}

let installed = false;

/** Put the column-sum path in front of the wasm backend's Sum (once). */
export function installColumnSum(): string[] {
  if (installed || !wrapWasmKernel('Sum', withFallback)) return [];
  installed = true;
  return ['Sum'];
}
