import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { idxImageFile, idxLabelFile, usageMessage } from '../../../test/helpers.js';
import { parseIdx } from './idx.js';

describe('parseIdx', () => {
  it('parses a raw image file', () => {
    const parsed = parseIdx(idxImageFile(3), 'x.idx');
    expect(parsed.kind).toBe('images');
    expect(parsed.dims).toEqual([3, 28, 28]);
    expect(parsed.data.length).toBe(3 * 784);
    expect(parsed.data[1]).toBe(7);
  });

  it('parses a gzip-compressed label file', () => {
    const parsed = parseIdx(gzipSync(idxLabelFile([5, 0, 4])), 'labels.gz', 'labels');
    expect(parsed.kind).toBe('labels');
    expect(parsed.dims).toEqual([3]);
    expect(Array.from(parsed.data)).toEqual([5, 0, 4]);
  });

  it('refuses a truncated raw file, naming the file', () => {
    const bytes = idxImageFile(2);
    const msg = usageMessage(() => parseIdx(bytes.subarray(0, bytes.length - 10), 'train-images-idx3-ubyte'));
    expect(msg).toMatch(/^train-images-idx3-ubyte: truncated/);
    expect(msg).toContain('2×28×28');
  });

  it('refuses a file cut inside its header', () => {
    expect(usageMessage(() => parseIdx(idxImageFile(1).subarray(0, 9), 'f'))).toMatch(/truncated inside the IDX header/);
    expect(usageMessage(() => parseIdx(new Uint8Array([0, 0]), 'f'))).toMatch(/truncated/);
  });

  it('refuses a truncated gzip stream', () => {
    const gz = gzipSync(idxImageFile(2));
    const msg = usageMessage(() => parseIdx(gz.subarray(0, gz.length >> 1), 'a/train-images-idx3-ubyte.gz'));
    expect(msg).toMatch(/^a\/train-images-idx3-ubyte\.gz: corrupt or truncated gzip data/);
  });

  it('refuses corrupt gzip data', () => {
    const gz = gzipSync(idxImageFile(2));
    gz.fill(0x55, 20, 60);
    expect(usageMessage(() => parseIdx(gz, 'x.gz'))).toMatch(/x\.gz: corrupt or truncated gzip/);
  });

  it('refuses a .gz file that is neither gzip nor IDX', () => {
    expect(usageMessage(() => parseIdx(new TextEncoder().encode('<html>404</html>'), 'x.gz'))).toMatch(/x\.gz: not gzip data/);
  });

  it('refuses a bad magic number', () => {
    const bytes = idxImageFile(1);
    bytes[3] = 0x02;
    expect(usageMessage(() => parseIdx(bytes, 'f'))).toMatch(/f: bad magic number 0x00000802/);
    expect(usageMessage(() => parseIdx(new TextEncoder().encode('hello world!'), 'g'))).toMatch(/g: bad magic number/);
  });

  it('refuses a data type other than unsigned byte', () => {
    const bytes = idxImageFile(1);
    bytes[2] = 0x0d;
    expect(usageMessage(() => parseIdx(bytes, 'f'))).toMatch(/f: unsupported IDX data type 0x0d/);
  });

  it('refuses trailing bytes (wrong count in the header)', () => {
    const bytes = idxImageFile(3);
    new DataView(bytes.buffer).setUint32(4, 2, false);
    expect(usageMessage(() => parseIdx(bytes, 'f'))).toMatch(/f: 784 unexpected bytes after the 2×28×28 images/);
  });

  it('refuses labels where images were expected', () => {
    expect(usageMessage(() => parseIdx(idxLabelFile([1]), 'f', 'images'))).toMatch(/f: holds labels .* where images .* were expected/);
  });
});
