/**
 * im2col and col2im, the WebAssembly SIMD functions (simd_im2col.ts) and the
 * JavaScript fallback (conv_util.ts), against a float64 reference written
 * tap by tap from the definition, on random shapes: one, three (runs not a
 * multiple of four floats), five and 32 channels, padding on every edge,
 * strides 1, 2, 3 and mixed, data at offsets that are not 16-byte aligned,
 * and patch rows longer than K whose extra columns must stay untouched.
 */
import { describe, expect, it } from 'vitest';
import { backend_util } from '@tensorflow/tfjs-core';
import { fillPatches, scatterColumns } from './conv_util.js';
import { geometryArgs, im2colModuleBytes, simdIm2colFor } from './simd_im2col.js';
import { seeded } from './kernels.test-helpers.js';

type Pad = 'same' | 'valid' | backend_util.ExplicitPadding;

interface Shape {
  x: [number, number, number, number];
  f: [number, number];
  strides: [number, number];
  pad: Pad;
}

/** A reproducible random integer in [lo, hi] from `u` in [−1, 1). */
const pick = (u: number, lo: number, hi: number) => lo + Math.floor(((u + 1) / 2) * (hi - lo + 1));

/** Random shapes for each channel count, with explicit padding that reaches every edge. */
function randomShapes(): Shape[] {
  const shapes: Shape[] = [];
  let seed = 11;
  for (const c of [1, 3, 5, 32]) {
    for (let t = 0; t < 4; t++) {
      const u = seeded(10, seed++);
      const f: [number, number] = [pick(u[0]!, 1, 4), pick(u[1]!, 1, 4)];
      const strides: [number, number] = t === 0 ? [2, 2] : [pick(u[2]!, 1, 3), pick(u[3]!, 1, 3)];
      const x: [number, number, number, number] = [pick(u[4]!, 1, 3), pick(u[5]!, f[0], 9), pick(u[6]!, f[1], 9), c];
      const pads: Pad[] = [[[0, 0], [1, 2], [2, 1], [0, 0]], 'same', 'valid', [[0, 0], [pick(u[7]!, 0, 3), pick(u[8]!, 0, 3)], [pick(u[9]!, 0, 3), 1], [0, 0]]];
      shapes.push({ x, f, strides, pad: pads[t]! });
    }
  }
  return shapes;
}

function infoOf(s: Shape): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(s.x, [s.f[0], s.f[1], s.x[3], 1], s.strides, 1, s.pad, undefined, false, 'channelsLast');
}

const describeShape = (s: Shape) => `x [${s.x}], filter ${s.f[0]}×${s.f[1]}, strides [${s.strides}], pad ${JSON.stringify(s.pad)}`;

/** The input pixel (b, ih, iw, c) under tap (kh, kw) of output (oh, ow), or −1 over the padding. */
function source(info: backend_util.Conv2DInfo, b: number, oh: number, ow: number, kh: number, kw: number, c: number): number {
  const ih = oh * info.strideHeight - info.padInfo.top + kh;
  const iw = ow * info.strideWidth - info.padInfo.left + kw;
  if (ih < 0 || ih >= info.inHeight || iw < 0 || iw >= info.inWidth) return -1;
  return ((b * info.inHeight + ih) * info.inWidth + iw) * info.inChannels + c;
}

/** Calls f(row, column, source index) for every entry of the patch matrix. */
function eachEntry(info: backend_util.Conv2DInfo, f: (row: number, col: number, src: number) => void): void {
  const { batchSize, outHeight, outWidth, filterHeight, filterWidth, inChannels } = info;
  let row = 0;
  for (let b = 0; b < batchSize; b++)
    for (let oh = 0; oh < outHeight; oh++)
      for (let ow = 0; ow < outWidth; ow++, row++) {
        let col = 0;
        for (let kh = 0; kh < filterHeight; kh++)
          for (let kw = 0; kw < filterWidth; kw++)
            for (let c = 0; c < inChannels; c++) f(row, col++, source(info, b, oh, ow, kh, kw, c));
      }
}

function referencePatches(x: Float32Array, info: backend_util.Conv2DInfo, rowStride: number, sentinel: number): Float64Array {
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const out = new Float64Array(rows * rowStride).fill(sentinel);
  eachEntry(info, (row, col, src) => (out[row * rowStride + col] = src < 0 ? 0 : x[src]!));
  return out;
}

function referenceScatter(cols: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo, rowStride: number): Float64Array {
  const out = Float64Array.from(dx);
  eachEntry(info, (row, col, src) => {
    if (src >= 0) out[src] += cols[row * rowStride + col]!;
  });
  return out;
}

/** One memory for every case (the module is compiled once per memory), grown as needed. */
const MEMORY = new WebAssembly.Memory({ initial: 1 });

/** MEMORY with room for x's or cols' data at `a` and the output's at `b` (byte offsets, 4-aligned but not 16-aligned). */
function layout(aLength: number, bLength: number): { memory: WebAssembly.Memory; a: number; b: number } {
  const a = 4 * 3;
  const b = a + 4 * aLength + 4 * 5;
  const pages = Math.ceil((b + 4 * bLength + 64) / 65536);
  if (pages > MEMORY.buffer.byteLength / 65536) MEMORY.grow(pages - MEMORY.buffer.byteLength / 65536);
  new Uint8Array(MEMORY.buffer).fill(0);
  return { memory: MEMORY, a, b };
}

const SENTINEL = 1234.5;
/** im2col by `how` with rows padded by 3 columns: the patch matrix, its extra columns included. */
function patchesBy(how: 'simd' | 'js', x: Float32Array, info: backend_util.Conv2DInfo, rowStride: number): Float32Array {
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const { memory, a, b } = layout(x.length, rows * rowStride);
  new Float32Array(memory.buffer, a, x.length).set(x);
  new Float32Array(memory.buffer, b, rows * rowStride).fill(SENTINEL);
  if (how === 'simd') simdIm2colFor(memory)!.im2col(a, b, ...geometryArgs(info, info.batchSize, rowStride));
  else fillPatches(new Float32Array(memory.buffer), a >> 2, b >> 2, 0, info.batchSize, info, rowStride);
  return new Float32Array(memory.buffer, b, rows * rowStride).slice();
}

/** col2im by `how` of cols into dx (added to). */
function scatterBy(how: 'simd' | 'js', cols: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo, rowStride: number): Float32Array {
  const { memory, a, b } = layout(cols.length, dx.length);
  new Float32Array(memory.buffer, a, cols.length).set(cols);
  new Float32Array(memory.buffer, b, dx.length).set(dx);
  if (how === 'simd') simdIm2colFor(memory)!.col2im(a, b, ...geometryArgs(info, info.batchSize, rowStride));
  else scatterColumns(new Float32Array(memory.buffer, a, cols.length), new Float32Array(memory.buffer, b, dx.length), info.batchSize, info, rowStride);
  return new Float32Array(memory.buffer, b, dx.length).slice();
}

/** The first index where got and want differ (−1 if none): a plain loop, as toEqual on long arrays is slow. */
function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) return i;
  return -1;
}

const SHAPES = randomShapes();
const hasSimd = WebAssembly.validate(im2colModuleBytes() as unknown as ArrayBuffer);

describe('im2col / col2im against a float64 reference', () => {
  it('the module validates (WebAssembly SIMD is there to test)', () => {
    expect(hasSimd).toBe(true);
  });

  it('covers C = 1, 3, 32, stride 2, and padding at every edge', () => {
    const infos = SHAPES.map(infoOf);
    for (const c of [1, 3, 32]) expect(infos.some((i) => i.inChannels === c)).toBe(true);
    expect(infos.some((i) => i.strideHeight === 2 && i.strideWidth === 2)).toBe(true);
    for (const edge of ['top', 'bottom', 'left', 'right'] as const) expect(infos.some((i) => i.padInfo[edge] > 0)).toBe(true);
  });

  for (const how of ['simd', 'js'] as const) {
    it(`${how}: im2col equals the reference, extra columns untouched`, () => {
      for (const [n, shape] of SHAPES.entries()) {
        const info = infoOf(shape);
        const K = info.filterHeight * info.filterWidth * info.inChannels;
        const x = seeded(shape.x.reduce((p, q) => p * q, 1), 100 + n);
        const got = patchesBy(how, x, info, K + 3);
        const want = referencePatches(x, info, K + 3, SENTINEL);
        expect(firstMismatch(got, want), describeShape(shape)).toBe(-1);
      }
    });

    it(`${how}: col2im equals the reference (added to dx; extra columns ignored)`, () => {
      for (const [n, shape] of SHAPES.entries()) {
        const info = infoOf(shape);
        const K = info.filterHeight * info.filterWidth * info.inChannels;
        const rows = info.batchSize * info.outHeight * info.outWidth;
        const cols = seeded(rows * (K + 3), 200 + n);
        const dx = seeded(shape.x.reduce((p, q) => p * q, 1), 300 + n);
        const got = scatterBy(how, cols, dx, info, K + 3);
        const want = referenceScatter(cols, dx, info, K + 3);
        // At most fH·fW float32 additions per value, of terms in [−1, 1).
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
        expect(worst, describeShape(shape)).toBeLessThan(1e-5);
      }
    });
  }

  it('simd and js col2im agree bit for bit (the same float32 sums in the same order)', () => {
    for (const [n, shape] of SHAPES.entries()) {
      const info = infoOf(shape);
      const K = info.filterHeight * info.filterWidth * info.inChannels;
      const cols = seeded(info.batchSize * info.outHeight * info.outWidth * K, 400 + n);
      const dx = new Float32Array(shape.x.reduce((p, q) => p * q, 1));
      expect(firstMismatch(scatterBy('simd', cols, dx, info, K), scatterBy('js', cols, dx, info, K)), describeShape(shape)).toBe(-1);
    }
  });
});
