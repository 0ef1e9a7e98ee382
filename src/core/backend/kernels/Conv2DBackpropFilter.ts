/**
 * `Conv2DBackpropFilter` for the wasm backend (missing from
 * `@tensorflow/tfjs-backend-wasm` 4.22, which makes every conv2d /
 * conv2dTranspose weight gradient fail there).
 *
 * dW[kh, kw, ci, co] = sum over (b, oh, ow) of
 *     x[b, oh*sh + kh - padTop, ow*sw + kw - padLeft, ci] * dy[b, oh, ow, co]
 *
 * Computed as an im2col GEMM so the heavy part runs in XNNPACK:
 *   1. patches P[M, K] (M = batch*outH*outW rows, K = kh*kw*inC columns)
 *      filled by a JS loop over the wasm heap (contiguous channel runs,
 *      zeros where the window hangs over the padding);
 *   2. P^T[K, M] with the wasm Transpose kernel;
 *   3. dW[K, outC] = P^T @ dy[M, outC] with the wasm BatchMatMul kernel.
 * BatchMatMul with transposeA=true takes a slow non-XNNPACK path on wasm
 * (~15x slower here), hence the explicit transpose.
 *
 * Large inputs are processed in batch chunks (bounded patch memory) whose
 * partial filters are summed. Supports everything the cpu kernel supports:
 * NHWC and NCHW, strides, 'same' / 'valid' / numeric (with dimRoundingMode) /
 * explicit padding; dilations are always 1 for this kernel (attribute absent
 * in TensorFlow.js; a non-1 value is rejected with a clear error).
 */
import { backend_util, Conv2DBackpropFilter, util } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropFilterInputs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { asWasmBackend, assertNoDilation, heapF32, runWasmKernel, withShape } from './wasm_util.js';
import type { WasmBackendLike } from './wasm_util.js';

/** Tuning knobs (exported so tests can force the chunked path). */
export const conv2DBackpropFilterTuning = {
  /** Max number of float32 elements in one patch matrix (x2 with its transpose). 2^23 = 32 MiB. */
  maxPatchElements: 1 << 23,
};

export function conv2DBackpropFilter(args: {
  inputs: Conv2DBackpropFilterInputs;
  backend: KernelBackend;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, attrs } = args;
  const backend = asWasmBackend(args.backend);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  assertNoDilation(Conv2DBackpropFilter, attrs);
  for (const t of [x, dy]) {
    if (t.dtype === 'complex64' || t.dtype === 'string') {
      throw new Error(`${Conv2DBackpropFilter} (latentkit wasm kernel): ${t.dtype} tensors are not supported`);
    }
  }
  util.assert(x.shape.length === 4, () => `${Conv2DBackpropFilter}: x must be rank 4, got rank ${x.shape.length}`);
  util.assert(dy.shape.length === 4, () => `${Conv2DBackpropFilter}: dy must be rank 4, got rank ${dy.shape.length}`);

  const $dataFormat = backend_util.convertConv2DDataFormat(dataFormat);
  const convInfo = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1 /* dilations */,
    pad,
    dimRoundingMode,
    false /* depthwise */,
    $dataFormat,
  );
  util.assert(
    util.arraysEqual(convInfo.outShape, dy.shape),
    () => `${Conv2DBackpropFilter}: dy shape [${dy.shape}] does not match the convolution output shape [${convInfo.outShape}]`,
  );
  util.assert(
    convInfo.inChannels === filterShape[2],
    () => `${Conv2DBackpropFilter}: x has ${convInfo.inChannels} channels but filterShape[2] is ${filterShape[2]}`,
  );

  const temps: TensorInfo[] = [];
  try {
    // Work in NHWC float32 (x may stay any numeric dtype: im2col converts).
    let xN = x;
    let dyN = dy;
    if (convInfo.dataFormat === 'channelsFirst') {
      xN = runWasmKernel('Transpose', { x }, backend, { perm: [0, 2, 3, 1] });
      temps.push(xN);
      dyN = runWasmKernel('Transpose', { x: dy }, backend, { perm: [0, 2, 3, 1] });
      temps.push(dyN);
    }
    if (dyN.dtype !== 'float32') {
      dyN = runWasmKernel('Cast', { x: dyN }, backend, { dtype: 'float32' });
      temps.push(dyN);
    }
    return computeNHWC(backend, xN, dyN, convInfo);
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

function computeNHWC(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const filterShape = [filterHeight, filterWidth, inChannels, outChannels];
  const rowsPerImage = outHeight * outWidth;
  const K = filterHeight * filterWidth * inChannels;

  if (batchSize * rowsPerImage === 0 || K === 0 || outChannels === 0) {
    const out = backend.makeOutput(filterShape, 'float32');
    heapF32(backend, out).fill(0);
    return out;
  }

  const imagesPerChunk = Math.max(
    1,
    Math.min(batchSize, Math.floor(conv2DBackpropFilterTuning.maxPatchElements / (rowsPerImage * K))),
  );
  const dyImageSize = rowsPerImage * outChannels;

  let acc: TensorInfo | null = null;
  try {
    for (let b0 = 0; b0 < batchSize; b0 += imagesPerChunk) {
      const nb = Math.min(imagesPerChunk, batchSize - b0);
      const M = nb * rowsPerImage;

      // Rows of dy for this chunk, as a [M, outC] matrix.
      let dyChunk: TensorInfo;
      let ownsDyChunk = false;
      if (nb === batchSize) {
        dyChunk = withShape(dy, [M, outChannels]);
      } else {
        dyChunk = backend.makeOutput([M, outChannels], 'float32');
        ownsDyChunk = true;
        const src = heapF32(backend, dy);
        heapF32(backend, dyChunk).set(src.subarray(b0 * dyImageSize, (b0 + nb) * dyImageSize));
      }

      const patches = backend.makeOutput([M, K], 'float32');
      let patchesT: TensorInfo | null = null;
      let part: TensorInfo;
      try {
        fillPatches(
          backend.typedArrayFromHeap(x),
          heapF32(backend, patches),
          b0,
          nb,
          inHeight,
          inWidth,
          inChannels,
          outHeight,
          outWidth,
          filterHeight,
          filterWidth,
          strideHeight,
          strideWidth,
          info.padInfo.top,
          info.padInfo.left,
        );
        patchesT = runWasmKernel('Transpose', { x: patches }, backend, { perm: [1, 0] });
        part = runWasmKernel('BatchMatMul', { a: withShape(patchesT, [K, M]), b: dyChunk }, backend, {
          transposeA: false,
          transposeB: false,
        });
      } finally {
        backend.disposeData(patches.dataId);
        if (patchesT != null) backend.disposeData(patchesT.dataId);
        if (ownsDyChunk) backend.disposeData(dyChunk.dataId);
      }

      if (acc == null) {
        acc = part;
      } else {
        const a = heapF32(backend, acc);
        const p = heapF32(backend, part);
        for (let i = 0; i < a.length; i++) a[i] += p[i];
        backend.disposeData(part.dataId);
      }
    }
  } catch (e) {
    if (acc != null) backend.disposeData(acc.dataId);
    throw e;
  }
  return withShape(acc!, filterShape);
}

/**
 * im2col for images [b0, b0+nb) of NHWC `x` into row-major `out[M, K]`,
 * row = (b, oh, ow), column = (kh, kw, ci).
 */
function fillPatches(
  x: Float32Array | Int32Array | Uint8Array,
  out: Float32Array,
  b0: number,
  nb: number,
  inH: number,
  inW: number,
  inC: number,
  outH: number,
  outW: number,
  fH: number,
  fW: number,
  sH: number,
  sW: number,
  padTop: number,
  padLeft: number,
): void {
  const xRowStride = inW * inC;
  const xImageStride = inH * xRowStride;
  const useSet = inC >= 16;
  let o = 0;
  for (let b = b0; b < b0 + nb; b++) {
    const xImage = b * xImageStride;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sH - padTop;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * sW - padLeft;
        for (let kh = 0; kh < fH; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= inH) {
            out.fill(0, o, o + fW * inC);
            o += fW * inC;
            continue;
          }
          const xRow = xImage + ih * xRowStride;
          for (let kw = 0; kw < fW; kw++) {
            const iw = iw0 + kw;
            if (iw < 0 || iw >= inW) {
              out.fill(0, o, o + inC);
            } else {
              const src = xRow + iw * inC;
              if (useSet) {
                out.set(x.subarray(src, src + inC), o);
              } else {
                for (let c = 0; c < inC; c++) out[o + c] = x[src + c];
              }
            }
            o += inC;
          }
        }
      }
    }
  }
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
