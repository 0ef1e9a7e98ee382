/**
 * Reading a dataset's values. Images are held as one byte per value (value =
 * byte / 255) so a large image set costs about a byte per pixel; tables and
 * float arrays are held as float32. Everything that needs numbers reads rows
 * through these functions, which give float32 either way: a byte b reads as
 * the float32 nearest b / 255, exactly what a Float32Array of b / 255 holds.
 */
import type { Dataset, PixelStore } from './types.js';
import { featureSize } from './types.js';

/** Byte b as the float32 it stands for (b / 255). */
export const BYTE_VALUES: Float32Array = Float32Array.from({ length: 256 }, (_, b) => b / 255);

/** Image values kept as bytes (value = byte / 255). */
export function bytePixels(data: Uint8Array): PixelStore {
  return { kind: 'uint8', data };
}

/** Values kept as float32 (tables, float arrays). */
export function floatPixels(data: Float32Array): PixelStore {
  return { kind: 'float32', data };
}

/**
 * Values in [0, 1] as the nearest bytes (generated images drawn in floats):
 * round(v · 255), so bytes → floats → bytes is the identity.
 */
export function quantizePixels(values: ArrayLike<number>, out = new Uint8Array(values.length), at = 0): Uint8Array {
  for (let i = 0; i < values.length; i++) out[at + i] = Math.round(Math.min(1, Math.max(0, values[i]!)) * 255);
  return out;
}

/** Bytes held per value: 1 for images, 4 for tables. */
export function bytesPerValue(ds: Pick<Dataset, 'pixels'>): number {
  return ds.pixels.data.BYTES_PER_ELEMENT;
}

/**
 * Copy values `[from, from + count)` of a store into `out` at `at`, as float32.
 * The one conversion every reader goes through.
 */
export function copyValues(store: PixelStore, from: number, count: number, out: Float32Array, at = 0): void {
  if (store.kind === 'float32') {
    out.set(store.data.subarray(from, from + count), at);
    return;
  }
  const bytes = store.data;
  for (let k = 0; k < count; k++) out[at + k] = BYTE_VALUES[bytes[from + k]!]!;
}

/** Example `i`'s values as a fresh Float32Array of length dim. */
export function examplePixels(ds: Dataset, i: number): Float32Array {
  return pixelRange(ds, i, i + 1);
}

/** Consecutive examples `[start, end)` as a fresh Float32Array [end − start, dim] (default: all of them). */
export function pixelRange(ds: Dataset, start = 0, end = ds.n): Float32Array {
  const dim = featureSize(ds);
  const out = new Float32Array((end - start) * dim);
  copyValues(ds.pixels, start * dim, out.length, out);
  return out;
}

/** Examples `rows` (in that order) as float32 rows [rows.length, dim], into `out` when given. */
export function gatherRows(ds: Dataset, rows: ArrayLike<number>, out = new Float32Array(rows.length * featureSize(ds))): Float32Array {
  const dim = featureSize(ds);
  for (let i = 0; i < rows.length; i++) copyValues(ds.pixels, rows[i]! * dim, dim, out, i * dim);
  return out;
}

/** Examples `rows` of a store, kept in the same storage (subsets, splits, limits). */
export function selectPixels(store: PixelStore, dim: number, rows: ArrayLike<number>): PixelStore {
  const pick = <T extends Uint8Array | Float32Array>(src: T, out: T): T => {
    for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i]! * dim, (rows[i]! + 1) * dim), i * dim);
    return out;
  };
  return store.kind === 'uint8' ? bytePixels(pick(store.data, new Uint8Array(rows.length * dim))) : floatPixels(pick(store.data, new Float32Array(rows.length * dim)));
}

/** The first `n` examples of a store (copies, so the full array can be freed). */
export function firstPixels(store: PixelStore, dim: number, n: number): PixelStore {
  return store.kind === 'uint8' ? bytePixels(store.data.slice(0, n * dim)) : floatPixels(store.data.slice(0, n * dim));
}
