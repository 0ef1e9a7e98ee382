/**
 * A faster `Conv2DBackpropInput` for the wasm backend (OPT-IN replacement).
 *
 * tfjs-backend-wasm 4.22 does ship this kernel (the input gradient of conv2d
 * and the forward pass of conv2dTranspose) but as a naive C loop: for
 * [128,7,7,64] -> [128,14,14,32] with a 3x3 filter it takes ~240-330 ms,
 * >10x the XNNPACK conv2d forward of the same layer. This version is a GEMM
 * plus col2im:
 *   1. cols[M, K] = dy[M, outC] @ W^T[outC, K] on latentkit's SIMD product
 *      (shared over threads in Node; the wasm BatchMatMul kernel without
 *      WebAssembly SIMD); M = batch*outH*outW, K = fh*fw*inC, W viewed as
 *      [K, outC] and transposed by a small loop;
 *   2. dx[b, oh*sh + kh - padTop, ow*sw + kw - padLeft, ci] += cols[(b,oh,ow), (kh,kw,ci)]
 *      (col2im, conv_util.ts).
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
import { col2imOnHeap } from './conv_util.js';
import { GemmActivation } from './gemm/simd_gemm.js';
import { heapProduct, sharedConv } from './MatMul.js';
import { geometryArgs } from './simd_im2col.js';
import { asWasmBackend, assertNoDilation, heapF32, runWasmKernel } from './wasm_util.js';
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
  const { filterHeight, filterWidth } = info;
  const rowsPerImage = outHeight * outWidth;
  const K = filterHeight * filterWidth * inChannels;
  const dyImageSize = rowsPerImage * outChannels;

  const dx = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
  if (batchSize * rowsPerImage === 0 || K === 0 || outChannels === 0) {
    heapF32(backend, dx).fill(0);
    return dx;
  }

  const product = heapProduct(backend);
  // The product's columns in panels of 4 and 8: Wᵀ padded with zero columns to a multiple
  // of 4 keeps the last few (K = 9 for one input channel) off its scalar loop.
  const stride = product ? 4 * Math.ceil(K / 4) : K;
  const imagesPerChunk = Math.max(
    1,
    Math.min(batchSize, Math.floor(conv2DBackpropInputTuning.maxColumnElements / (rowsPerImage * stride))),
  );
  let filterT: TensorInfo | null = null;
  try {
    filterT = transposedFilter(backend, filter, K, outChannels, stride);
    const [a, b, c] = [dy, filterT, dx].map((t) => heapF32(backend, t).byteOffset);
    const imageBytes = 4 * inHeight * inWidth * inChannels;
    const geometry = geometryArgs(info, 0, stride).slice(1, 12);
    const onThreads = { a, b, c, bias: 0, k: outChannels, n: stride, images: batchSize, rowsPerImage, imageBytes, geometry, activation: GemmActivation.Linear, alpha: 0 };
    // The threads zero each image of dx before adding into it; here, col2im adds into zeros.
    if (product && sharedConv(backend, 'inputGradient', onThreads)) return dx;
    heapF32(backend, dx).fill(0);
    for (let b0 = 0; b0 < batchSize; b0 += imagesPerChunk) {
      const nb = Math.min(imagesPerChunk, batchSize - b0);
      const cols = columns(backend, product, dy, filterT, b0 * dyImageSize, nb * rowsPerImage, outChannels, stride);
      try {
        col2imOnHeap(backend, cols, dx, b0, nb, info, stride);
      } finally {
        backend.disposeData(cols.dataId);
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

/** Wᵀ [outC, stride]: the filter viewed as W [K, outC], transposed, columns K.. zero. */
function transposedFilter(backend: WasmBackendLike, filter: TensorInfo, K: number, outC: number, stride: number): TensorInfo {
  const out = backend.makeOutput([outC, stride], 'float32');
  const [w, t] = [heapF32(backend, filter), heapF32(backend, out)];
  t.fill(0);
  for (let k = 0; k < K; k++) for (let c = 0; c < outC; c++) t[c * stride + k] = w[k * outC + c]!;
  return out;
}

/** cols [M, stride] = dy[M, outC] (the M rows from element `dyStart`) · Wᵀ: latentkit's product, or else the wasm BatchMatMul kernel. */
function columns(backend: WasmBackendLike, product: ReturnType<typeof heapProduct>, dy: TensorInfo, filterT: TensorInfo, dyStart: number, M: number, outC: number, stride: number): TensorInfo {
  if (product) {
    const cols = backend.makeOutput([M, stride], 'float32');
    const [a, b, c] = [dy, filterT, cols].map((t) => heapF32(backend, t).byteOffset);
    product({ a: a + 4 * dyStart, b, c, bias: 0, m: M, n: stride, k: outC, transA: false, activation: GemmActivation.Linear, alpha: 0 });
    return cols;
  }
  const dyChunk = backend.makeOutput([M, outC], 'float32');
  heapF32(backend, dyChunk).set(heapF32(backend, dy).subarray(dyStart, dyStart + M * outC));
  try {
    return runWasmKernel('BatchMatMul', { a: dyChunk, b: filterT }, backend, { transposeA: false, transposeB: false });
  } finally {
    backend.disposeData(dyChunk.dataId);
  }
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
