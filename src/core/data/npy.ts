/**
 * NumPy arrays as datasets (`npy:<file>`, `npz:<file>`). The .npy format is
 * small and specified (numpy.lib.format): a magic string, a version, a
 * header that is a Python dict literal ({'descr': '<f4', 'fortran_order':
 * False, 'shape': (2, 3), }), then the data in C order. An .npz file is a
 * zip of .npy files (fflate reads it, stored or deflated).
 *
 * Images are N×H×W or N×H×W×C (C = 1 or 3) arrays of uint8 (0..255) or
 * floats in [0, 1]. Only what images and labels need is read: booleans,
 * integers and floats of either byte order, in C order; anything else is
 * refused with the file named. (core/io/npy.ts writes the float32 codes
 * latentkit saves, and reads them back through this parser.)
 */
import { unzipSync } from 'fflate';
import { FieldError, UsageError } from '../errors.js';
import type { Dataset, PixelStore, Split } from './types.js';
import { bytePixels, floatPixels, selectPixels } from './pixels.js';

export const NPY_PREFIX = 'npy:';
export const NPZ_PREFIX = 'npz:';
/** Without split arrays, every 10th example (the 10th, 20th, ...) is a test example. */
export const NPY_TEST_EVERY = 10;

export interface NpyArray {
  shape: number[];
  /** The descr of the header, e.g. '<f4', '|u1'. */
  dtype: string;
  /** The values, converted to numbers. */
  values: Float64Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

type Reader = (view: DataView, offset: number, little: boolean) => number;
const READERS: Record<string, { size: number; read: Reader }> = {
  b1: { size: 1, read: (v, o) => v.getUint8(o) },
  u1: { size: 1, read: (v, o) => v.getUint8(o) },
  i1: { size: 1, read: (v, o) => v.getInt8(o) },
  u2: { size: 2, read: (v, o, l) => v.getUint16(o, l) },
  i2: { size: 2, read: (v, o, l) => v.getInt16(o, l) },
  u4: { size: 4, read: (v, o, l) => v.getUint32(o, l) },
  i4: { size: 4, read: (v, o, l) => v.getInt32(o, l) },
  u8: { size: 8, read: (v, o, l) => Number(v.getBigUint64(o, l)) },
  i8: { size: 8, read: (v, o, l) => Number(v.getBigInt64(o, l)) },
  f4: { size: 4, read: (v, o, l) => v.getFloat32(o, l) },
  f8: { size: 8, read: (v, o, l) => v.getFloat64(o, l) },
};

function headerField(header: string, key: string, name: string): string {
  const m = new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`).exec(header);
  if (!m) throw new UsageError(`${name}: the .npy header has no '${key}'`);
  return m[1]!;
}

/**
 * One .npy file. `name` names it in messages.
 *
 * @throws UsageError for bytes that are not .npy, Fortran order, a dtype
 *   other than bool/int/uint/float, or data shorter than the shape says
 */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new UsageError(`${name} is not a .npy file (no \\x93NUMPY magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new UsageError(`${name}: .npy format version ${major} is not supported`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start + headerLength) throw new UsageError(`${name} is cut short inside its .npy header`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = headerField(header, 'descr', name).slice(1, -1);
  if (headerField(header, 'fortran_order', name) === 'True') throw new UsageError(`${name}: Fortran-ordered arrays are not supported; save it with numpy.ascontiguousarray`);
  const shape = headerField(header, 'shape', name)
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new UsageError(`${name}: the .npy header has a malformed shape`);
  const m = /^([<>|=])([biuf])(\d)$/.exec(descr);
  const reader = m ? READERS[`${m[2]}${m[3]}`] : undefined;
  if (!m || !reader) throw new UsageError(`${name}: dtype '${descr}' is not supported; use uint8 images in 0..255 or floats in [0, 1], and integer labels`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  if (bytes.length - dataStart < count * reader.size) throw new UsageError(`${name}: the data is shorter than its shape (${shape.join('×')}) says; the file is truncated`);
  if (reader.size === 1 && m[2] === 'u') return { shape, dtype: descr, values: bytes.slice(dataStart, dataStart + count) };
  const little = m[1] !== '>';
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = reader.read(view, dataStart + i * reader.size, little);
  return { shape, dtype: descr, values };
}

/** The arrays of an .npz file by name (without `.npy`). */
export function parseNpz(bytes: Uint8Array, name: string): Map<string, NpyArray> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (err) {
    throw new UsageError(`${name} is not an .npz file (not a readable zip: ${(err as Error).message})`);
  }
  const arrays = new Map<string, NpyArray>();
  for (const [entry, data] of Object.entries(files)) {
    if (entry.endsWith('.npy')) arrays.set(entry.slice(0, -4), parseNpy(data, `${name}:${entry}`));
  }
  if (arrays.size === 0) throw new UsageError(`${name} holds no .npy arrays`);
  return arrays;
}

interface NpyImages {
  n: number;
  shape: [number, number, number];
  pixels: PixelStore;
}

/** Images of an array (uint8 kept as bytes, floats in [0, 1] as float32) and their [h, w, c] shape. */
function imagesOf(array: NpyArray, what: string): NpyImages {
  const s = array.shape;
  const channels = s.length === 4 ? s[3]! : 1;
  if ((s.length !== 3 && s.length !== 4) || (channels !== 1 && channels !== 3)) throw new UsageError(`${what}: images must be an N×H×W or N×H×W×C array with C = 1 or 3, got shape (${s.join(', ')})`);
  const integer = /[biu]/.test(array.dtype);
  if (integer && !/u1$/.test(array.dtype)) throw new UsageError(`${what}: integer images must be uint8 (0..255), got dtype '${array.dtype}'`);
  const shape: [number, number, number] = [s[1]!, s[2]!, channels];
  if (array.values instanceof Uint8Array) return { n: s[0]!, shape, pixels: bytePixels(array.values) };
  const bad = array.values.findIndex((v) => !(v >= 0 && v <= 1));
  if (bad >= 0) throw new UsageError(`${what}: float images must lie in [0, 1], but value ${bad} is ${array.values[bad]}`);
  return { n: s[0]!, shape, pixels: floatPixels(Float32Array.from(array.values)) };
}

function labelsOf(array: NpyArray | undefined, n: number, what: string): Int32Array | undefined {
  if (!array) return undefined;
  if (array.shape.length !== 1 || array.shape[0] !== n) throw new UsageError(`${what}: labels must be a vector of ${n} values (one per image), got shape (${array.shape.join(', ')})`);
  const bad = Array.from(array.values).find((v) => !Number.isInteger(v) || v < 0);
  if (bad !== undefined) throw new UsageError(`${what}: labels must be non-negative integers, got ${bad}`);
  return Int32Array.from(array.values);
}

function rows(ds: { pixels: PixelStore; labels: Int32Array }, dim: number, keep: (i: number) => boolean, n: number): { pixels: PixelStore; labels: Int32Array; n: number } {
  const kept = Array.from({ length: n }, (_, i) => i).filter(keep);
  return { pixels: selectPixels(ds.pixels, dim, kept), labels: Int32Array.from(kept, (i) => ds.labels[i]!), n: kept.length };
}

const first = (arrays: Map<string, NpyArray>, names: readonly string[]) => names.find((k) => arrays.has(k));

/**
 * One split of the arrays as a dataset. Split arrays (`x_train`/`x_test`
 * with `y_train`/`y_test`, as Keras saves MNIST) give the splits; otherwise
 * the images are `x`, `images`, `arr_0` or the only array, the labels `y`
 * or `labels`, and every 10th example is a test example.
 */
export function npyDataset(name: string, split: Split, arrays: Map<string, NpyArray>): Dataset {
  const splitImages = split === 'train' ? 'x_train' : 'x_test';
  if (arrays.has('x_train') && arrays.has('x_test')) {
    const images = imagesOf(arrays.get(splitImages)!, `${name}:${splitImages}`);
    const labels = labelsOf(arrays.get(split === 'train' ? 'y_train' : 'y_test'), images.n, `${name}:y_${split}`);
    const otherSplit = split === 'train' ? 'test' : 'train';
    const other = labelsOf(arrays.get(`y_${otherSplit}`), arrays.get(`x_${otherSplit}`)!.shape[0] ?? 0, `${name}:y_${otherSplit}`);
    return finish(name, split, images, labels, [labels, other]);
  }
  const labelKey = first(arrays, ['y', 'labels']);
  const imageKey = first(arrays, ['x', 'images', 'arr_0']) ?? (arrays.size - (labelKey ? 1 : 0) === 1 ? [...arrays.keys()].find((k) => k !== labelKey) : undefined);
  if (imageKey === undefined) throw new FieldError('dataset', `${name}: which array holds the images? Name it x or images (it holds ${[...arrays.keys()].join(', ')})`);
  const all = imagesOf(arrays.get(imageKey)!, `${name}:${imageKey}`);
  const labels = labelsOf(labelKey ? arrays.get(labelKey) : undefined, all.n, `${name}:${labelKey}`);
  const dim = all.shape[0] * all.shape[1] * all.shape[2];
  const isTest = (i: number) => (i + 1) % NPY_TEST_EVERY === 0;
  const part = rows({ pixels: all.pixels, labels: labels ?? new Int32Array(all.n) }, dim, (i) => isTest(i) === (split === 'test'), all.n);
  return finish(name, split, { ...all, n: part.n, pixels: part.pixels }, labels ? part.labels : undefined, [labels]);
}

function finish(name: string, split: Split, images: NpyImages, labels: Int32Array | undefined, allLabels: (Int32Array | undefined)[]): Dataset {
  // Both splits agree on the number of classes.
  const numClasses = labels ? Math.max(...allLabels.map((l) => (l ? l.reduce((m: number, v) => Math.max(m, v + 1), 1) : 1))) : 1;
  return { name, split, n: images.n, shape: images.shape, pixels: images.pixels, labels: labels ?? new Int32Array(images.n), numClasses };
}
