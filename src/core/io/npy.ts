import { parseNpy } from '../data/npy.js';
import { UsageError } from '../errors.js';

/** NumPy .npy (format 1.0) for float32 matrices, so codes load with np.load. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // magic(6) + version(2) + header length(2) + header, padded with spaces to a multiple of 64, ending in \n.
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(bytes, 10 + header.length);
  return out;
}

/** Read back a float32 .npy written by {@link encodeNpy}; anything else is a UsageError naming the problem. */
export function decodeNpy(bytes: Uint8Array, source = '.npy file'): { data: Float32Array; shape: number[] } {
  const { shape, dtype, values } = parseNpy(bytes, source);
  if (!/^[<=]f4$/.test(dtype)) throw new UsageError(`${source}: only little-endian float32 .npy is supported, got dtype '${dtype}'`);
  return { data: Float32Array.from(values), shape };
}
