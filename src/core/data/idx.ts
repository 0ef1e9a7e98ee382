/**
 * Reader for the IDX format used by MNIST and Fashion-MNIST
 * (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
 * (0x00 0x00 dtype ndim), `ndim` big-endian uint32 sizes, then the data.
 * Only unsigned-byte images (ndim 3) and labels (ndim 1) are supported.
 */
import { gunzipSync } from 'fflate';
import { UsageError } from '../errors.js';
import type { Dataset, Split } from './types.js';
import { bytePixels } from './pixels.js';

/** What an IDX file holds, decided by its magic number. */
export type IdxKind = 'images' | 'labels';

/** A parsed IDX array: `data` is row-major, `dims[0]` is the number of items. */
export interface IdxArray {
  kind: IdxKind;
  dims: number[];
  data: Uint8Array;
}

const MAGIC: Record<IdxKind, number> = { images: 0x00000803, labels: 0x00000801 };
const UBYTE = 0x08;

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Gunzip when the bytes carry the gzip signature; raw IDX passes through. */
function maybeGunzip(bytes: Uint8Array, fileLabel: string): Uint8Array {
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gzipped) {
    // A `.gz` name whose bytes do not even start like IDX is a broken download, not a raw file.
    const looksLikeIdx = bytes.length >= 2 && bytes[0] === 0 && bytes[1] === 0;
    if (fileLabel.endsWith('.gz') && !looksLikeIdx) {
      throw new UsageError(`${fileLabel}: not gzip data (no gzip signature); the file is corrupt, delete it and fetch it again`);
    }
    return bytes;
  }
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${fileLabel}: corrupt or truncated gzip data (${reason}); delete it and fetch it again`);
  }
}

function kindOfMagic(magic: number): IdxKind | undefined {
  if (magic === MAGIC.images) return 'images';
  if (magic === MAGIC.labels) return 'labels';
  return undefined;
}

/** Check the magic number and return the kind; `expect` refuses the other kind. */
function readKind(bytes: Uint8Array, fileLabel: string, expect?: IdxKind): IdxKind {
  if (bytes.length < 4) throw new UsageError(`${fileLabel}: truncated, only ${bytes.length} bytes (not even an IDX header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] !== UBYTE) {
    throw new UsageError(`${fileLabel}: unsupported IDX data type 0x${bytes[2]!.toString(16).padStart(2, '0')} (only unsigned bytes, 0x08, are supported)`);
  }
  const kind = kindOfMagic(magic);
  if (kind === undefined) {
    throw new UsageError(`${fileLabel}: bad magic number ${hex(magic)}, expected ${hex(MAGIC.images)} (images) or ${hex(MAGIC.labels)} (labels); not an MNIST-style IDX file`);
  }
  if (expect !== undefined && kind !== expect) {
    throw new UsageError(`${fileLabel}: holds ${kind} (magic ${hex(magic)}) where ${expect} (magic ${hex(MAGIC[expect])}) were expected`);
  }
  return kind;
}

/**
 * Parse one IDX file (gzip-compressed or raw) and validate it: magic number,
 * data type (unsigned byte), dimension header and exact byte length.
 *
 * @param bytes the file content as read from disk
 * @param fileLabel how to name the file in error messages (usually its path)
 * @param expect if given, refuse a file of the other kind
 * @throws UsageError naming the file and the problem when it is truncated or corrupt
 */
export function parseIdx(bytes: Uint8Array, fileLabel: string, expect?: IdxKind): IdxArray {
  const raw = maybeGunzip(bytes, fileLabel);
  const kind = readKind(raw, fileLabel, expect);
  const ndim = kind === 'images' ? 3 : 1;
  const headerBytes = 4 + 4 * ndim;
  if (raw.length < headerBytes) throw new UsageError(`${fileLabel}: truncated inside the IDX header (${raw.length} of ${headerBytes} bytes)`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (raw.length < expected) {
    throw new UsageError(`${fileLabel}: truncated, header announces ${dims.join('×')} bytes of ${kind} (${expected} bytes in all) but the file has ${raw.length}`);
  }
  if (raw.length > expected) {
    throw new UsageError(`${fileLabel}: ${raw.length - expected} unexpected bytes after the ${dims.join('×')} ${kind} the header announces; the file is corrupt`);
  }
  return { kind, dims, data: raw.subarray(headerBytes) };
}

/** Standard MNIST-style file names of one split, with and without `.gz`. */
export function idxFileNames(split: Split): { images: string; labels: string } {
  const prefix = split === 'train' ? 'train' : 't10k';
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
}

/** Options of {@link idxDataset}. */
export interface ReadIdxOptions {
  /** `Dataset.name`; default `idx:<folder>`. */
  name?: string;
  /** Required image size [height, width], or `'any'`; default [28, 28] (MNIST). */
  imageSize?: [number, number] | 'any';
  /** Labels must lie in 0..numClasses-1; default 10. */
  numClasses?: number;
  classNames?: string[];
}

function checkImageSize(file: string, dims: number[], size: ReadIdxOptions['imageSize']): void {
  const [n, h, w] = dims as [number, number, number];
  if (n === 0 || h === 0 || w === 0) throw new UsageError(`${file}: holds no images (${dims.join('×')})`);
  if (size === 'any' || size === undefined) return;
  if (h !== size[0] || w !== size[1]) {
    throw new UsageError(`${file}: images are ${h}×${w}, expected ${size[0]}×${size[1]}`);
  }
}

function checkLabels(file: string, labels: Uint8Array, numClasses: number): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= numClasses) {
      throw new UsageError(`${file}: label ${labels[i]} at index ${i} is out of range 0..${numClasses - 1}`);
    }
  }
}

/** The bytes of one IDX file and how messages name it. */
export interface IdxFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * One split of an MNIST-style dataset from its image and label files (each
 * raw or gzipped). Pixels stay bytes (value / 255, see pixels.ts); labels an
 * Int32Array.
 *
 * @throws UsageError when a file is truncated, corrupt, of the wrong size,
 *   or when the label and image counts disagree
 */
export function idxDataset(files: { images: IdxFile; labels: IdxFile }, split: Split, options: ReadIdxOptions & { name: string }): Dataset {
  const numClasses = options.numClasses ?? 10;
  const images = { file: files.images.name, array: parseIdx(files.images.bytes, files.images.name, 'images') };
  const labels = { file: files.labels.name, array: parseIdx(files.labels.bytes, files.labels.name, 'labels') };
  checkImageSize(images.file, images.array.dims, options.imageSize ?? [28, 28]);
  const [n, h, w] = images.array.dims as [number, number, number];
  if (labels.array.dims[0] !== n) {
    throw new UsageError(`${labels.file}: holds ${labels.array.dims[0]} labels but ${images.file} holds ${n} images`);
  }
  checkLabels(labels.file, labels.array.data, numClasses);
  return {
    name: options.name,
    split,
    n,
    shape: [h, w, 1],
    pixels: bytePixels(images.array.data),
    labels: Int32Array.from(labels.array.data),
    numClasses,
    ...(options.classNames ? { classNames: options.classNames } : {}),
  };
}

/**
 * Encode unsigned bytes as a raw (uncompressed) IDX file; the inverse of
 * {@link parseIdx}. `dims` is [n, height, width] for images, [n] for labels.
 */
export function encodeIdx(kind: IdxKind, dims: number[], data: Uint8Array): Uint8Array {
  const ndim = kind === 'images' ? 3 : 1;
  if (dims.length !== ndim) throw new RangeError(`encodeIdx: ${kind} need ${ndim} dimension(s), got ${dims.length}`);
  const out = new Uint8Array(4 + 4 * ndim + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC[kind], false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * ndim);
  return out;
}
