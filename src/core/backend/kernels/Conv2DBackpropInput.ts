/**
 * A faster `Conv2DBackpropInput` for the wasm backend (OPT-IN replacement).
 *
 * tfjs-backend-wasm 4.22 does ship this kernel (the input gradient of conv2d
 * and the forward pass of conv2dTranspose) but as a naive C loop: for
 * [128,7,7,64] -> [128,14,14,32] with a 3x3 filter it takes ~240-330 ms,
 * >10x the XNNPACK conv2d forward of the same layer. This version is a GEMM
 * plus col2im:
 *   1. cols[M, K] = dy[M, outC] @ W^T[outC, K] with the wasm BatchMatMul
 *      (XNNPACK); M = batch*outH*outW, K = fh*fw*inC, W viewed as [K, outC]
 *      and transposed with the wasm Transpose kernel (small);
 *   2. dx[b, oh*sh + kh - padTop, ow*sw + kw - padLeft, ci] += cols[(b,oh,ow), (kh,kw,ci)]
 *      by a JS loop over the wasm heap (contiguous channel runs).
 * Batch chunks bound the size of `cols`. Supports NHWC and NCHW, strides and
 * 'same' / 'valid' / numeric / explicit padding like the cpu kernel;
 * dilations must be 1.
 *
 * Registered only by `registerWasmKernels({replaceConv2DBackpropInput: true})`.
 */
import { backend_util, Conv2DBackpropInput, util } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropInputAttrs,
  Conv2DBackpropInputInputs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { asWasmBackend, assertNoDilation, heapF32, runWasmKernel, withShape } from './wasm_util.js';
import type { WasmBackendLike } from './wasm_util.js';

/** Tuning knobs (exported so tests can force the chunked path). */
export const conv2DBackpropInputTuning = {
  /** Max number of float32 elements in one column matrix. 2^23 = 32 MiB. */
  maxColumnElements: 1 << 23,
};

export function conv2DBackpropInput(args: {
  inputs: Conv2DBackpropInputInputs;
  backend: KernelBackend;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const { inputs, attrs } = args;
  const backend = asWasmBackend(args.backend);
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs;
  assertNoDilation(Conv2DBackpropInput, attrs);
  for (const t of [dy, filter]) {
    if (t.dtype === 'complex64' || t.dtype === 'string') {
      throw new Error(`${Conv2DBackpropInput} (latentkit wasm kernel): ${t.dtype} tensors are not supported`);
    }
  }
  util.assert(dy.shape.length === 4, () => `${Conv2DBackpropInput}: dy must be rank 4, got rank ${dy.shape.length}`);
  util.assert(filter.shape.length === 4, () => `${Conv2DBackpropInput}: filter must be rank 4, got rank ${filter.shape.length}`);

  const $dataFormat = backend_util.convertConv2DDataFormat(dataFormat);
  const convInfo = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1 /* dilations */,
    pad,
    dimRoundingMode,
    false /* depthwise */,
    $dataFormat,
  );
  util.assert(
    util.arraysEqual(convInfo.outShape, dy.shape),
    () => `${Conv2DBackpropInput}: dy shape [${dy.shape}] does not match the convolution output shape [${convInfo.outShape}]`,
  );
  util.assert(
    convInfo.inChannels === filter.shape[2],
    () => `${Conv2DBackpropInput}: inputShape has ${convInfo.inChannels} channels but filter.shape[2] is ${filter.shape[2]}`,
  );

  const temps: TensorInfo[] = [];
  try {
    let dyN = dy;
    let filterN = filter;
    const channelsFirst = convInfo.dataFormat === 'channelsFirst';
    if (channelsFirst) {
      dyN = runWasmKernel('Transpose', { x: dyN }, backend, { perm: [0, 2, 3, 1] });
      temps.push(dyN);
    }
    if (dyN.dtype !== 'float32') {
      dyN = runWasmKernel('Cast', { x: dyN }, backend, { dtype: 'float32' });
      temps.push(dyN);
    }
    if (filterN.dtype !== 'float32') {
      filterN = runWasmKernel('Cast', { x: filterN }, backend, { dtype: 'float32' });
      temps.push(filterN);
    }
    const dxNHWC = computeNHWC(backend, dyN, filterN, convInfo);
    if (!channelsFirst) return dxNHWC;
    temps.push(dxNHWC);
    return runWasmKernel('Transpose', { x: dxNHWC }, backend, { perm: [0, 3, 1, 2] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

function computeNHWC(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const rowsPerImage = outHeight * outWidth;
  const K = filterHeight * filterWidth * inChannels;
  const dxImageSize = inHeight * inWidth * inChannels;
  const dyImageSize = rowsPerImage * outChannels;

  const dx = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
  heapF32(backend, dx).fill(0);
  if (batchSize * rowsPerImage === 0 || K === 0 || outChannels === 0) return dx;

  const imagesPerChunk = Math.max(
    1,
    Math.min(batchSize, Math.floor(conv2DBackpropInputTuning.maxColumnElements / (rowsPerImage * K))),
  );

  let filterT: TensorInfo | null = null;
  try {
    filterT = runWasmKernel('Transpose', { x: withShape(filter, [K, outChannels]) }, backend, { perm: [1, 0] });
    for (let b0 = 0; b0 < batchSize; b0 += imagesPerChunk) {
      const nb = Math.min(imagesPerChunk, batchSize - b0);
      const M = nb * rowsPerImage;
      let dyChunk: TensorInfo;
      let ownsDyChunk = false;
      if (nb === batchSize) {
        dyChunk = withShape(dy, [M, outChannels]);
      } else {
        dyChunk = backend.makeOutput([M, outChannels], 'float32');
        ownsDyChunk = true;
        heapF32(backend, dyChunk).set(heapF32(backend, dy).subarray(b0 * dyImageSize, (b0 + nb) * dyImageSize));
      }
      let cols: TensorInfo | null = null;
      try {
        cols = runWasmKernel('BatchMatMul', { a: dyChunk, b: withShape(filterT, [outChannels, K]) }, backend, {
          transposeA: false,
          transposeB: false,
        });
        // Views fetched after the last allocation (heap growth detaches views).
        const out = heapF32(backend, dx).subarray(b0 * dxImageSize, (b0 + nb) * dxImageSize);
        scatterColumns(heapF32(backend, withShape(cols, [M, K])), out, nb, info);
      } finally {
        if (cols != null) backend.disposeData(cols.dataId);
        if (ownsDyChunk) backend.disposeData(dyChunk.dataId);
      }
    }
  } catch (e) {
    backend.disposeData(dx.dataId);
    throw e;
  } finally {
    if (filterT != null) backend.disposeData(filterT.dataId);
  }
  return dx;
}

/** col2im: add row (b, oh, ow) of `cols[M, K]` into its receptive field of `dx` (images 0..nb of `dx`). */
function scatterColumns(cols: Float32Array, dx: Float32Array, nb: number, info: backend_util.Conv2DInfo): void {
  const { inHeight: inH, inWidth: inW, inChannels: inC, outHeight: outH, outWidth: outW } = info;
  const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const rowStride = inW * inC;
  const imageStride = inH * rowStride;
  let o = 0;
  for (let b = 0; b < nb; b++) {
    const image = b * imageStride;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sH - padTop;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * sW - padLeft;
        for (let kh = 0; kh < fH; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= inH) {
            o += fW * inC;
            continue;
          }
          const row = image + ih * rowStride;
          for (let kw = 0; kw < fW; kw++) {
            const iw = iw0 + kw;
            if (iw >= 0 && iw < inW) {
              const dst = row + iw * inC;
              for (let c = 0; c < inC; c++) dx[dst + c]! += cols[o + c]!;
            }
            o += inC;
          }
        }
      }
    }
  }
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
