/**
 * The .lkz file: quantised codes of n examples, bit-packed, with everything
 * needed to decode them and to notice damage. Little-endian throughout.
 *
 *   offset  size  field
 *   0       4     magic 0x89 'L' 'K' 'Z' (the high byte catches 7-bit transfers)
 *   4       2     format version (1)
 *   6       1     bits per code dimension (1..16)
 *   7       1     bits per label (0: no labels; conditional models need them)
 *   8       4     latent size d
 *   12      4     count n
 *   16      16    model fingerprint (see model-id.ts)
 *   32      4·d   per-dimension quantiser min (float32)
 *   32+4d   4·d   per-dimension quantiser step (float32)
 *   …       ⌈n·d·bits/8⌉       levels, row-major, packed (bits.ts)
 *   …       ⌈n·labelBits/8⌉    labels, packed
 *   end−4   4     CRC-32 of every byte before it
 */
import { UsageError } from '../../errors.js';
import { packBits, packedLength, unpackBits } from './bits.js';
import { crc32 } from './crc32.js';
import { MODEL_ID_BYTES } from './model-id.js';
import type { Quantizer } from './quantize.js';

export const LKZ_MAGIC = Uint8Array.of(0x89, 0x4c, 0x4b, 0x5a);
export const LKZ_VERSION = 1;
const FIXED_HEADER = 32;

export interface CompressedCodes {
  version: number;
  n: number;
  d: number;
  quantizer: Quantizer;
  /** Quantiser levels, [n, d] row-major. */
  levels: Uint16Array;
  /** Class labels, when stored (labelBits > 0). */
  labels?: Int32Array;
  labelBits: number;
  modelId: Uint8Array;
}

/** Total file size for these parameters. */
export function lkzLength(n: number, d: number, bits: number, labelBits: number): number {
  return FIXED_HEADER + 8 * d + packedLength(n * d, bits) + (labelBits > 0 ? packedLength(n, labelBits) : 0) + 4;
}

/** Bits needed to store labels 0..numClasses−1 (at least 1). */
export function labelBitsFor(numClasses: number): number {
  return Math.max(1, Math.ceil(Math.log2(Math.max(2, numClasses))));
}

export function encodeLkz(c: Omit<CompressedCodes, 'version'>): Uint8Array {
  const { n, d, quantizer, labelBits } = c;
  if (c.levels.length !== n * d) throw new RangeError(`encodeLkz: expected ${n * d} levels, got ${c.levels.length}`);
  if (c.modelId.length !== MODEL_ID_BYTES) throw new RangeError(`encodeLkz: model id must be ${MODEL_ID_BYTES} bytes`);
  if (labelBits > 0 && c.labels?.length !== n) throw new RangeError(`encodeLkz: expected ${n} labels`);
  const bytes = new Uint8Array(lkzLength(n, d, quantizer.bits, labelBits));
  const view = new DataView(bytes.buffer);
  bytes.set(LKZ_MAGIC, 0);
  view.setUint16(4, LKZ_VERSION, true);
  view.setUint8(6, quantizer.bits);
  view.setUint8(7, labelBits);
  view.setUint32(8, d, true);
  view.setUint32(12, n, true);
  bytes.set(c.modelId, 16);
  let pos = FIXED_HEADER;
  for (const values of [quantizer.min, quantizer.step]) {
    for (let j = 0; j < d; j++, pos += 4) view.setFloat32(pos, values[j]!, true);
  }
  const packed = packBits(c.levels, quantizer.bits);
  bytes.set(packed, pos);
  pos += packed.length;
  if (labelBits > 0) bytes.set(packBits(c.labels!, labelBits), pos);
  view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

/**
 * Parse and check a .lkz file: magic, version, size against the header, and
 * checksum, in that order.
 *
 * @throws UsageError naming `source` and what is wrong, in one line
 */
export function decodeLkz(bytes: Uint8Array, source = 'input'): CompressedCodes {
  if (bytes.length < 8 || !LKZ_MAGIC.every((b, i) => bytes[i] === b)) throw new UsageError(`${source} is not a latentkit compressed file (.lkz magic bytes missing)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version > LKZ_VERSION) throw new UsageError(`${source} has .lkz format version ${version}; this latentkit reads up to ${LKZ_VERSION}, upgrade latentkit`);
  if (version < 1) throw new UsageError(`${source} is corrupt (format version 0)`);
  if (bytes.length < FIXED_HEADER + 4) throw new UsageError(`${source} is truncated (${bytes.length} bytes, shorter than the .lkz header)`);
  const bits = view.getUint8(6);
  const labelBits = view.getUint8(7);
  const d = view.getUint32(8, true);
  const n = view.getUint32(12, true);
  if (bits < 1 || bits > 16 || labelBits > 16 || d < 1) throw new UsageError(`${source} is corrupt (impossible header: bits ${bits}, label bits ${labelBits}, latent ${d})`);
  const expected = lkzLength(n, d, bits, labelBits);
  if (bytes.length !== expected) {
    throw new UsageError(`${source} is ${bytes.length < expected ? 'truncated or corrupt' : 'corrupt'}: its header describes ${expected} bytes but it has ${bytes.length}`);
  }
  const stored = view.getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) throw new UsageError(`${source} is corrupt (CRC-32 checksum mismatch)`);
  const modelId = bytes.slice(16, 32);
  const min = new Float32Array(d);
  const step = new Float32Array(d);
  let pos = FIXED_HEADER;
  for (const values of [min, step]) {
    for (let j = 0; j < d; j++, pos += 4) values[j] = view.getFloat32(pos, true);
  }
  const levelBytes = packedLength(n * d, bits);
  const levels = unpackBits(bytes.subarray(pos, pos + levelBytes), n * d, bits);
  pos += levelBytes;
  const labels = labelBits > 0 ? Int32Array.from(unpackBits(bytes.subarray(pos, pos + packedLength(n, labelBits)), n, labelBits)) : undefined;
  return { version, n, d, quantizer: { bits, min, step }, levels, labels, labelBits, modelId };
}
