/**
 * Bit packing: unsigned integers of `bits` bits (1..16) stored back to back,
 * least significant bit first, with no padding between values. n values take
 * ceil(n·bits / 8) bytes.
 */

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) throw new RangeError(`bits must be an integer in 1..16, got ${bits}`);
}

/** Bytes that `count` values of `bits` bits take when packed. */
export function packedLength(count: number, bits: number): number {
  checkBits(bits);
  return Math.ceil((count * bits) / 8);
}

/** Pack `values` (each in [0, 2^bits)) into a fresh byte array. */
export function packBits(values: ArrayLike<number>, bits: number): Uint8Array {
  const out = new Uint8Array(packedLength(values.length, bits));
  const limit = 2 ** bits;
  // A 32-bit accumulator holds at most 7 leftover bits plus one 16-bit value.
  let acc = 0;
  let filled = 0;
  let pos = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= limit) throw new RangeError(`packBits: value ${v} at ${i} does not fit in ${bits} bits`);
    acc |= v << filled;
    filled += bits;
    while (filled >= 8) {
      out[pos++] = acc & 0xff;
      acc >>>= 8;
      filled -= 8;
    }
  }
  if (filled > 0) out[pos] = acc & 0xff;
  return out;
}

/** The first `count` values of `bits` bits from `bytes` (the inverse of {@link packBits}). */
export function unpackBits(bytes: Uint8Array, count: number, bits: number): Uint16Array {
  if (bytes.length < packedLength(count, bits)) throw new RangeError(`unpackBits: ${count} values of ${bits} bits need ${packedLength(count, bits)} bytes, got ${bytes.length}`);
  const out = new Uint16Array(count);
  const mask = (1 << bits) - 1;
  let acc = 0;
  let filled = 0;
  let pos = 0;
  for (let i = 0; i < count; i++) {
    while (filled < bits) {
      acc |= bytes[pos++]! << filled;
      filled += 8;
    }
    out[i] = acc & mask;
    acc >>>= bits;
    filled -= bits;
  }
  return out;
}
