/**
 * The two layout changes the wasm convolution kernels share, on NHWC
 * float32 data on the wasm heap:
 *
 *   im2col  patches P[M, K]: row (b, oh, ow), column (kh, kw, ci), the input
 *           pixel under that filter tap (zero over the padding);
 *   col2im  the transpose: add each row of a [M, K] matrix back into its
 *           receptive field of the input.
 *
 * Convolution forward is P·W, its filter gradient Pᵀ·dy and its input
 * gradient col2im(dy·Wᵀ). Where a filter row lies inside the image, its fW
 * taps are one contiguous run of fW·inC values in both layouts, so the loops
 * work on runs, not on single taps.
 *
 * The kernels call im2colOnHeap / col2imOnHeap, which run the WebAssembly
 * SIMD versions (simd_im2col.ts) where the engine has SIMD; the JavaScript
 * loops below are the fallback.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { geometryArgs, simdIm2colFor, type SimdIm2col } from './simd_im2col.js';
import { heapF32, wasmMemory, type WasmBackendLike } from './wasm_util.js';

/**
 * Images per partial product of a filter gradient Pᵀ·dy: about 256 rows of
 * patches each, which keeps a group's patches in L2 and its products long
 * enough in k. The partials are summed in group order, on one thread or
 * many alike, so both give the same bits.
 */
export function imagesPerGradientGroup(rowsPerImage: number): number {
  return Math.max(1, Math.round(256 / Math.max(1, rowsPerImage)));
}

/** Runs at least this long are copied by copyWithin (a memmove), shorter ones value by value. */
const LONG_RUN = 16;

/** A float32 view of the whole heap a tensor's view lies on (fillPatches indexes it by element offsets). */
export function wholeHeap(view: Float32Array): Float32Array {
  return new Float32Array(view.buffer);
}

/** [lo, hi): the filter taps kw of a row starting at input column iw0 that fall inside the image. */
function tapsInside(iw0: number, fW: number, inW: number): [number, number] {
  return [Math.max(0, -iw0), Math.min(fW, inW - iw0)];
}

/**
 * im2col of images [b0, b0 + nb) of NHWC x (at element `x` of `heap`) into
 * the patches at element `out` (row-major [nb·outH·outW, K], K = fH·fW·inC,
 * rows of `rowStride` ≥ K values; the columns past K are left alone). One
 * view for both, so runs copy with copyWithin and no subarray is made.
 */
export function fillPatches(heap: Float32Array, x: number, out: number, b0: number, nb: number, info: backend_util.Conv2DInfo, rowStride: number): void {
  const { inHeight: inH, inWidth: inW, inChannels: inC, outHeight: outH, outWidth: outW } = info;
  const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
  const [padTop, padLeft] = [info.padInfo.top, info.padInfo.left];
  const xRow = inW * inC;
  const xImage = inH * xRow;
  const tapRow = fW * inC;
  let row = out;
  for (let b = b0; b < b0 + nb; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sH - padTop;
      for (let ow = 0; ow < outW; ow++, row += rowStride) {
        const iw0 = ow * sW - padLeft;
        const [lo, hi] = tapsInside(iw0, fW, inW);
        for (let kh = 0; kh < fH; kh++) {
          const o = row + kh * tapRow;
          const ih = ih0 + kh;
          if (ih < 0 || ih >= inH || lo >= hi) {
            heap.fill(0, o, o + tapRow);
            continue;
          }
          if (lo > 0) heap.fill(0, o, o + lo * inC);
          if (hi < fW) heap.fill(0, o + hi * inC, o + tapRow);
          // Taps lo..hi of this filter row: one run of the input row.
          const src = x + b * xImage + ih * xRow + (iw0 + lo) * inC;
          const len = (hi - lo) * inC;
          const dst = o + lo * inC;
          if (len >= LONG_RUN) heap.copyWithin(dst, src, src + len);
          else for (let i = 0; i < len; i++) heap[dst + i] = heap[src + i]!;
        }
      }
    }
  }
}

/**
 * col2im: add row (b, oh, ow) of `cols` (row-major, rows of `rowStride` ≥ K
 * values) into its receptive field of `dx`, images 0..nb of `dx` (NHWC,
 * added to, not overwritten).
 */
export function scatterColumns(cols: Float32Array, dx: Float32Array, nb: number, info: backend_util.Conv2DInfo, rowStride: number): void {
  const { inHeight: inH, inWidth: inW, inChannels: inC, outHeight: outH, outWidth: outW } = info;
  const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
  const [padTop, padLeft] = [info.padInfo.top, info.padInfo.left];
  const xRow = inW * inC;
  const xImage = inH * xRow;
  const tapRow = fW * inC;
  let row = 0;
  for (let b = 0; b < nb; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sH - padTop;
      for (let ow = 0; ow < outW; ow++, row += rowStride) {
        const iw0 = ow * sW - padLeft;
        const [lo, hi] = tapsInside(iw0, fW, inW);
        for (let kh = 0; kh < fH; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= inH) continue;
          const src = row + kh * tapRow + lo * inC;
          const dst = b * xImage + ih * xRow + (iw0 + lo) * inC;
          for (let i = 0, len = (hi - lo) * inC; i < len; i++) dx[dst + i] += cols[src + i]!;
        }
      }
    }
  }
}

/** The SIMD functions on the backend's heap, or null (no WebAssembly SIMD, or no heap exposed). */
function simdOn(backend: WasmBackendLike): SimdIm2col | null {
  const memory = wasmMemory(backend);
  return memory ? simdIm2colFor(memory) : null;
}

/** fillPatches of images [b0, b0 + nb) of tensor x into tensor `patches`, both on the wasm heap. */
export function im2colOnHeap(backend: WasmBackendLike, x: TensorInfo, patches: TensorInfo, b0: number, nb: number, info: backend_util.Conv2DInfo, rowStride: number): void {
  const simd = simdOn(backend);
  // Views after the last allocation (heap growth moves views, never offsets).
  const [xs, out] = [heapF32(backend, x), heapF32(backend, patches)];
  if (simd == null) return fillPatches(wholeHeap(xs), xs.byteOffset >> 2, out.byteOffset >> 2, b0, nb, info, rowStride);
  const imageBytes = 4 * info.inHeight * info.inWidth * info.inChannels;
  simd.im2col(xs.byteOffset + b0 * imageBytes, out.byteOffset, ...geometryArgs(info, nb, rowStride));
}

/** scatterColumns of the rows of tensor `cols` into images [b0, b0 + nb) of tensor dx, both on the wasm heap. */
export function col2imOnHeap(backend: WasmBackendLike, cols: TensorInfo, dx: TensorInfo, b0: number, nb: number, info: backend_util.Conv2DInfo, rowStride: number): void {
  const simd = simdOn(backend);
  const [from, to] = [heapF32(backend, cols), heapF32(backend, dx)];
  const imageSize = info.inHeight * info.inWidth * info.inChannels;
  if (simd == null) return scatterColumns(from, to.subarray(b0 * imageSize, (b0 + nb) * imageSize), nb, info, rowStride);
  simd.col2im(from.byteOffset, to.byteOffset + 4 * b0 * imageSize, ...geometryArgs(info, nb, rowStride));
}
