/**
 * Small helpers for writing kernels for `@tensorflow/tfjs-backend-wasm` from
 * outside that package.
 *
 * A wasm kernelFunc receives the `BackendWasm` instance. Tensor data lives on
 * the WebAssembly heap; `typedArrayFromHeap` returns a *view* onto it (no
 * copy). Any allocation (`makeOutput`, or another kernel that allocates) may
 * grow the heap and detach earlier views, so fetch views only after the last
 * allocation that precedes their use.
 */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { DataId, DataType, KernelBackend, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/** The part of `BackendWasm` our kernels use (structural, so no deep import is needed). */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

export function asWasmBackend(backend: unknown): WasmBackendLike {
  const b = backend as Partial<WasmBackendLike> | null;
  if (b == null || typeof b.typedArrayFromHeap !== 'function' || typeof b.makeOutput !== 'function') {
    throw new Error('latentkit wasm kernel: called with a backend that is not the TensorFlow.js wasm backend');
  }
  return b as WasmBackendLike;
}

/** The backend's WebAssembly memory (what our own SIMD modules import), if it exposes it. */
export function wasmMemory(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory } } | null)?.wasm;
  return wasm?.asm?.memory ?? wasm?.wasmMemory;
}

/** Float32 view onto a float32 tensor's data on the wasm heap. */
export function heapF32(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`latentkit wasm kernel: expected float32 data, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/**
 * Run another kernel already registered for the wasm backend, directly (not
 * through the engine, exactly as the wasm backend's own kernels compose each
 * other). The caller owns the returned data and must dispose it with
 * `backend.disposeData` unless it returns it as its own output.
 */
export function runWasmKernel(
  kernelName: string,
  inputs: NamedTensorInfoMap,
  backend: WasmBackendLike,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernel(kernelName, 'wasm');
  if (kernel == null) throw new Error(`latentkit wasm kernel: needs the wasm kernel '${kernelName}', which is not registered`);
  const out = kernel.kernelFunc({ inputs, backend: backend as unknown as KernelBackend, attrs });
  if (Array.isArray(out)) throw new Error(`latentkit wasm kernel: '${kernelName}' returned several outputs`);
  return out;
}

/** A TensorInfo sharing `info`'s data under another shape of the same size. */
export function withShape(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** Throw a clear error for dilations other than 1 (the wasm conv backprop kernels support none). */
export function assertNoDilation(kernelName: string, attrs: unknown): void {
  const dilations = (attrs as { dilations?: number | [number, number] } | null)?.dilations;
  if (dilations == null) return;
  const [dh, dw] = typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (dh !== 1 || dw !== 1) {
    throw new Error(
      `${kernelName} (latentkit wasm kernel): dilations other than 1 are not supported, got [${dh}, ${dw}]`,
    );
  }
}

/**
 * Register `wrap(original)` as the wasm kernel `name`, in front of the one
 * registered now (which stays reachable as its fallback). False when 'wasm'
 * has no such kernel.
 */
export function wrapWasmKernel(name: string, wrap: (original: KernelFunc) => KernelFunc): boolean {
  const original = getKernel(name, 'wasm');
  if (!original) return false;
  unregisterKernel(name, 'wasm');
  registerKernel({ ...original, kernelFunc: wrap(original.kernelFunc) });
  return true;
}
