/**
 * `Conv2DBackpropFilter` for the wasm backend (missing from
 * `@tensorflow/tfjs-backend-wasm` 4.22, which makes every conv2d /
 * conv2dTranspose weight gradient fail there).
 *
 * dW[kh, kw, ci, co] = sum over (b, oh, ow) of
 *     x[b, oh*sh + kh - padTop, ow*sw + kw - padLeft, ci] * dy[b, oh, ow, co]
 *
 * Computed as an im2col product:
 *   1. patches P[M, K] (M = batch*outH*outW rows, K = kh*kw*inC columns),
 *      see conv_util.ts;
 *   2. dW[K, outC] = P^T @ dy[M, outC] on latentkit's SIMD product, which
 *      reads P^T in place. Without WebAssembly SIMD: an explicit Transpose,
 *      then the wasm BatchMatMul kernel (whose transposeA path is ~15x slower).
 *
 * On the SIMD product the batch goes in groups of images of about 256 patch
 * rows (imagesPerGradientGroup), whose partial filters are summed in order:
 * on the helper threads each group's patches are made where its product
 * runs, and one thread gives the same bits. Without it, in chunks as large
 * as the patch memory bound allows. Supports everything the cpu kernel supports:
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
import { im2colOnHeap, imagesPerGradientGroup } from './conv_util.js';
import { GemmActivation, simdGemmFor } from './gemm/simd_gemm.js';
import { heapProduct, sharedConv } from './MatMul.js';
import { geometryArgs } from './simd_im2col.js';
import { asWasmBackend, assertNoDilation, heapF32, runWasmKernel, wasmMemory, withShape } from './wasm_util.js';
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
    // Work in NHWC float32.
    let xN = x;
    let dyN = dy;
    if (convInfo.dataFormat === 'channelsFirst') {
      xN = runWasmKernel('Transpose', { x }, backend, { perm: [0, 2, 3, 1] });
      temps.push(xN);
      dyN = runWasmKernel('Transpose', { x: dy }, backend, { perm: [0, 2, 3, 1] });
      temps.push(dyN);
    }
    if (xN.dtype !== 'float32') {
      xN = runWasmKernel('Cast', { x: xN }, backend, { dtype: 'float32' });
      temps.push(xN);
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
  const { batchSize, outHeight, outWidth, outChannels, filterHeight, filterWidth, inChannels } = info;
  const filterShape = [filterHeight, filterWidth, inChannels, outChannels];
  const rowsPerImage = outHeight * outWidth;
  const K = filterHeight * filterWidth * inChannels;
  const acc = backend.makeOutput(filterShape, 'float32');
  heapF32(backend, acc).fill(0);
  if (batchSize * rowsPerImage === 0 || K === 0 || outChannels === 0) return acc;

  const dyImageSize = rowsPerImage * outChannels;
  const product = heapProduct(backend);
  const [x0, dy0, acc0] = [x, dy, acc].map((t) => heapF32(backend, t).byteOffset);
  const geometry = geometryArgs(info, 0, K).slice(1, 12);
  const imageBytes = 4 * info.inHeight * info.inWidth * inChannels;
  const onThreads = { a: x0, b: dy0, c: acc0, bias: 0, k: K, n: outChannels, images: batchSize, rowsPerImage, imageBytes, geometry, activation: GemmActivation.Linear, alpha: 0 };
  if (product && sharedConv(backend, 'filterGradient', onThreads)) return acc;
  // On latentkit's product, the groups of images the threads would take, summed in the same
  // order (so one thread gives their bits); otherwise chunks as large as the bound allows.
  const largest = Math.max(1, Math.floor(conv2DBackpropFilterTuning.maxPatchElements / (rowsPerImage * K)));
  const imagesPerChunk = Math.min(batchSize, largest, product ? imagesPerGradientGroup(rowsPerImage) : largest);
  const add = simdAdd(backend);
  const patches = backend.makeOutput([imagesPerChunk * rowsPerImage, K], 'float32');
  try {
    for (let b0 = 0; b0 < batchSize; b0 += imagesPerChunk) {
      const nb = Math.min(imagesPerChunk, batchSize - b0);
      const M = nb * rowsPerImage;
      im2colOnHeap(backend, x, patches, b0, nb, info, K);
      // Rows b0·rows.. of dy as a [M, outC] matrix.
      const dyRows = heapF32(backend, dy).byteOffset + 4 * b0 * dyImageSize;
      const part = multiplyPatchesT(backend, product, patches, dyRows, M, K, outChannels);
      const [a, p] = [heapF32(backend, acc), heapF32(backend, part)];
      if (add) add(a.byteOffset, p.byteOffset, a.length);
      else for (let i = 0; i < a.length; i++) a[i] += p[i]!;
      backend.disposeData(part.dataId);
    }
  } catch (e) {
    backend.disposeData(acc.dataId);
    throw e;
  } finally {
    backend.disposeData(patches.dataId);
  }
  return acc;
}

/**
 * Pᵀ[K, M] · dy[M, outC] for the first M rows of `patches` and the [M, outC]
 * rows of dy at byte offset `dyRows`: on latentkit's product, which reads Pᵀ
 * without transposing it, or else through the wasm Transpose and
 * BatchMatMul kernels (BatchMatMul with transposeA takes a slow path there).
 */
function multiplyPatchesT(backend: WasmBackendLike, product: ReturnType<typeof heapProduct>, patches: TensorInfo, dyRows: number, M: number, K: number, outC: number): TensorInfo {
  if (product) {
    const out = backend.makeOutput([K, outC], 'float32');
    const [a, c] = [heapF32(backend, patches).byteOffset, heapF32(backend, out).byteOffset];
    product({ a, b: dyRows, c, bias: 0, m: K, n: outC, k: M, transA: true, activation: GemmActivation.Linear, alpha: 0 });
    return out;
  }
  const dyChunk = backend.makeOutput([M, outC], 'float32');
  const heap = heapF32(backend, dyChunk);
  heap.set(new Float32Array(heap.buffer, dyRows, M * outC));
  const rows = withShape(patches, [M, K]);
  const patchesT = runWasmKernel('Transpose', { x: rows }, backend, { perm: [1, 0] });
  try {
    return runWasmKernel('BatchMatMul', { a: patchesT, b: dyChunk }, backend, { transposeA: false, transposeB: false });
  } finally {
    backend.disposeData(patchesT.dataId);
    backend.disposeData(dyChunk.dataId);
  }
}

/** The SIMD dst += src of the product's module on the backend's heap, or null. */
function simdAdd(backend: WasmBackendLike): ((dst: number, src: number, count: number) => void) | null {
  const memory = wasmMemory(backend);
  return (memory && simdGemmFor(memory)?.addInto) ?? null;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
