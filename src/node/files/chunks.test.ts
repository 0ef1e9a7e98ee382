import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { writeFileAtomic } from './atomic.js';
import { readFileChunked } from './chunks.js';

const dir = tempDir('latentkit-chunks-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `n` bytes that differ from one position to the next (a dropped or repeated piece shows). */
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 8)) & 255);

describe('chunked reads and writes', () => {
  it('writes and reads back files whose sizes are and are not multiples of the chunk', () => {
    for (const [n, chunk] of [
      [100, 7], // 14 chunks and 2 bytes
      [98, 7], // exactly 14 chunks
      [6, 7], // less than one chunk
      [0, 7],
      [1_000_003, 4096],
    ] as const) {
      const data = bytes(n);
      const file = path.join(dir, `f-${n}-${chunk}.u8`);
      writeFileAtomic(file, data, chunk);
      // Node's own reader as the independent answer for the writer.
      expect(Buffer.compare(fs.readFileSync(file), Buffer.from(data))).toBe(0);
      const back = readFileChunked(file, chunk);
      expect(back).toBeInstanceOf(Uint8Array);
      expect(back.length).toBe(n);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(data))).toBe(0);
    }
  });

  it('writes a view of a larger array: only its own bytes, from its own offset', () => {
    const whole = bytes(50);
    const file = path.join(dir, 'view.u8');
    writeFileAtomic(file, whole.subarray(13, 42), 4);
    expect(Array.from(fs.readFileSync(file))).toEqual(Array.from(whole.subarray(13, 42)));
  });

  it('leaves no temporary behind and the old content in place when the write fails', () => {
    const file = path.join(dir, 'kept.u8');
    writeFileAtomic(file, bytes(10), 3);
    // A folder where the file should go: the rename fails after the chunks are written.
    const blocked = path.join(dir, 'blocked');
    fs.mkdirSync(path.join(blocked, 'inside'), { recursive: true });
    expect(() => writeFileAtomic(blocked, bytes(10), 3)).toThrow(/cannot write/);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(Array.from(readFileChunked(file, 3))).toEqual(Array.from(bytes(10)));
  });
});
