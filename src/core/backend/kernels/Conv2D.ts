/**
 * Conv2D and FusedConv2D for the wasm backend on latentkit's SIMD product
 * (shared over threads in Node), in front of XNNPACK's:
 *
 *   y[M, outC] = act(P[M, K] · W[K, outC] + bias)
 *
 * with P the im2col patches (conv_util.ts), M = batch·outH·outW rows and
 * K = fH·fW·inC; the filter [fH, fW, inC, outC] already is W row-major, and
 * y row-major is the NHWC output. The bias and ReLU / LeakyReLU run in the
 * product's epilogue. XNNPACK's convolution, as the wasm backend calls it,
 * repacks the filter on every call (in training a new filter every step) and
 * runs on one thread.
 *
 * The backend's own kernel stays the fallback for what this one does not
 * handle: NCHW, dilations, dtypes other than float32, a bias that is not one
 * value per output channel, other activations, no WebAssembly SIMD.
 */
import { backend_util, util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { im2colOnHeap } from './conv_util.js';
import { GemmActivation } from './gemm/simd_gemm.js';
import { heapProduct, sharedConv } from './MatMul.js';
import { geometryArgs } from './simd_im2col.js';
import { asWasmBackend, wrapWasmKernel, type WasmBackendLike } from './wasm_util.js';

/** Tuning knobs (exported so tests can force the chunked path). */
export const conv2DTuning = {
  /** Max float32 elements of one patch matrix; larger batches go in chunks of images. 2^23 = 32 MiB. */
  maxPatchElements: 1 << 23,
};

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
}

/** The epilogue for a fused activation, or null when it is not one the product applies. */
function epilogueOf(attrs: ConvAttrs): { activation: GemmActivation; alpha: number } | null {
  const name = attrs.activation ?? 'linear';
  if (name === 'linear') return { activation: GemmActivation.Linear, alpha: 0 };
  if (name === 'relu') return { activation: GemmActivation.Relu, alpha: 0 };
  const alpha = attrs.leakyreluAlpha ?? 0.2;
  if (name === 'leakyrelu' && alpha >= 0 && alpha <= 1) return { activation: GemmActivation.LeakyRelu, alpha };
  return null;
}

/** The geometry when this kernel handles the call, else null. */
function convInfoFor(x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, attrs: ConvAttrs): backend_util.Conv2DInfo | null {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (bias != null && bias.dtype !== 'float32')) return null;
  if (x.shape.length !== 4 || filter.shape.length !== 4 || attrs.dataFormat === 'NCHW') return null;
  const dilations = attrs.dilations ?? 1;
  if (!backend_util.tupleValuesAreOne(dilations)) return null;
  if (bias != null && util.sizeFromShape(bias.shape) !== filter.shape[3]) return null;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return info.inChannels === filter.shape[2] ? info : null;
}

/** Whether P is x itself (1×1 filter, stride 1, no padding). */
function patchesAreInput(info: backend_util.Conv2DInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  return filterHeight === 1 && filterWidth === 1 && strideHeight === 1 && strideWidth === 1 && padInfo.top === 0 && padInfo.left === 0;
}

/** Byte offset of a tensor's data on the heap. */
function at(backend: WasmBackendLike, info: TensorInfo): number {
  return backend.typedArrayFromHeap(info).byteOffset;
}

/** y = act(conv(x, filter) + bias), NHWC, through im2col and the product. */
function convolve(backend: WasmBackendLike, product: NonNullable<ReturnType<typeof heapProduct>>, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, info: backend_util.Conv2DInfo, epilogue: { activation: GemmActivation; alpha: number }): TensorInfo {
  const { batchSize, outHeight, outWidth, outChannels, filterHeight, filterWidth, inChannels } = info;
  const rows = outHeight * outWidth;
  const K = filterHeight * filterWidth * inChannels;
  const out = backend.makeOutput(info.outShape, 'float32');
  if (batchSize * rows * outChannels === 0) return out;
  const imageBytes = 4 * info.inHeight * info.inWidth * inChannels;
  const geometry = geometryArgs(info, 0, K).slice(1, 12);
  const onThreads = { a: at(backend, x), b: at(backend, filter), c: at(backend, out), bias: bias ? at(backend, bias) : 0, k: K, n: outChannels, images: batchSize, rowsPerImage: rows, imageBytes, geometry, ...epilogue };
  if (sharedConv(backend, 'forward', onThreads)) return out;
  const direct = patchesAreInput(info);
  const perChunk = direct ? batchSize : Math.max(1, Math.min(batchSize, Math.floor(conv2DTuning.maxPatchElements / Math.max(1, rows * K))));
  const patches = direct ? null : backend.makeOutput([perChunk * rows, K], 'float32');
  try {
    for (let b0 = 0; b0 < batchSize; b0 += perChunk) {
      const nb = Math.min(perChunk, batchSize - b0);
      // Views and offsets after the last allocation (the product's scratch may grow the heap, moving views, never offsets).
      if (patches) im2colOnHeap(backend, x, patches, b0, nb, info, K);
      const a = patches ? at(backend, patches) : at(backend, x) + 4 * b0 * rows * K;
      product({ a, b: at(backend, filter), c: at(backend, out) + 4 * b0 * rows * outChannels, bias: bias ? at(backend, bias) : 0, m: nb * rows, n: outChannels, k: K, transA: false, ...epilogue });
    }
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    if (patches) backend.disposeData(patches.dataId);
  }
  return out;
}

/** A Conv2D / FusedConv2D kernelFunc that runs ours where it can and `original` otherwise. */
function withFallback(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x, filter, bias } = args.inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const product = heapProduct(args.backend);
    const epilogue = epilogueOf(attrs);
    const info = product && epilogue ? convInfoFor(x, filter, bias, attrs) : null;
    if (product == null || epilogue == null || info == null) return original(args);
    return convolve(asWasmBackend(args.backend), product, x, filter, bias, info, epilogue);
  };
}

let installed = false;

/** Put our Conv2D and FusedConv2D in front of the wasm backend's (once); returns the kernels replaced. */
export function installSimdConv2D(): string[] {
  if (installed) return [];
  const replaced = ['Conv2D', 'FusedConv2D'].filter((name) => wrapWasmKernel(name, withFallback));
  installed = true;
  return replaced;
}
