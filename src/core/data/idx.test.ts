import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { encodeIdx, parseIdx, readIdxDataset } from './idx.js';

function imageFile(n: number, h = 28, w = 28): Uint8Array {
  return encodeIdx('images', [n, h, w], Uint8Array.from({ length: n * h * w }, (_, i) => (i * 7) % 256));
}

function labelFile(values: number[]): Uint8Array {
  return encodeIdx('labels', [values.length], Uint8Array.from(values));
}

/** Run `fn`, expect a UsageError, and return its message. */
function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseIdx', () => {
  it('parses a raw image file', () => {
    const parsed = parseIdx(imageFile(3), 'x.idx');
    expect(parsed.kind).toBe('images');
    expect(parsed.dims).toEqual([3, 28, 28]);
    expect(parsed.data.length).toBe(3 * 784);
    expect(parsed.data[1]).toBe(7);
  });

  it('parses a gzip-compressed label file', () => {
    const parsed = parseIdx(gzipSync(labelFile([5, 0, 4])), 'labels.gz', 'labels');
    expect(parsed.kind).toBe('labels');
    expect(parsed.dims).toEqual([3]);
    expect(Array.from(parsed.data)).toEqual([5, 0, 4]);
  });

  it('refuses a truncated raw file, naming the file', () => {
    const bytes = imageFile(2);
    const msg = usageMessage(() => parseIdx(bytes.subarray(0, bytes.length - 10), 'train-images-idx3-ubyte'));
    expect(msg).toMatch(/^train-images-idx3-ubyte: truncated/);
    expect(msg).toContain('2×28×28');
  });

  it('refuses a file cut inside its header', () => {
    expect(usageMessage(() => parseIdx(imageFile(1).subarray(0, 9), 'f'))).toMatch(/truncated inside the IDX header/);
    expect(usageMessage(() => parseIdx(new Uint8Array([0, 0]), 'f'))).toMatch(/truncated/);
  });

  it('refuses a truncated gzip stream', () => {
    const gz = gzipSync(imageFile(2));
    const msg = usageMessage(() => parseIdx(gz.subarray(0, gz.length >> 1), 'a/train-images-idx3-ubyte.gz'));
    expect(msg).toMatch(/^a\/train-images-idx3-ubyte\.gz: corrupt or truncated gzip data/);
  });

  it('refuses corrupt gzip data', () => {
    const gz = gzipSync(imageFile(2));
    gz.fill(0x55, 20, 60);
    expect(usageMessage(() => parseIdx(gz, 'x.gz'))).toMatch(/x\.gz: corrupt or truncated gzip/);
  });

  it('refuses a .gz file that is neither gzip nor IDX', () => {
    expect(usageMessage(() => parseIdx(new TextEncoder().encode('<html>404</html>'), 'x.gz'))).toMatch(/x\.gz: not gzip data/);
  });

  it('refuses a bad magic number', () => {
    const bytes = imageFile(1);
    bytes[3] = 0x02;
    expect(usageMessage(() => parseIdx(bytes, 'f'))).toMatch(/f: bad magic number 0x00000802/);
    expect(usageMessage(() => parseIdx(new TextEncoder().encode('hello world!'), 'g'))).toMatch(/g: bad magic number/);
  });

  it('refuses a data type other than unsigned byte', () => {
    const bytes = imageFile(1);
    bytes[2] = 0x0d;
    expect(usageMessage(() => parseIdx(bytes, 'f'))).toMatch(/f: unsupported IDX data type 0x0d/);
  });

  it('refuses trailing bytes (wrong count in the header)', () => {
    const bytes = imageFile(3);
    new DataView(bytes.buffer).setUint32(4, 2, false);
    expect(usageMessage(() => parseIdx(bytes, 'f'))).toMatch(/f: 784 unexpected bytes after the 2×28×28 images/);
  });

  it('refuses labels where images were expected', () => {
    expect(usageMessage(() => parseIdx(labelFile([1]), 'f', 'images'))).toMatch(/f: holds labels .* where images .* were expected/);
  });
});

describe('readIdxDataset', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function folder(files: Record<string, Uint8Array>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latentkit-idx-'));
    dirs.push(dir);
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
    return dir;
  }

  it('reads gzip files, scales pixels to [0, 1] and keeps labels', () => {
    const dir = folder({
      'train-images-idx3-ubyte.gz': gzipSync(imageFile(4)),
      'train-labels-idx1-ubyte.gz': gzipSync(labelFile([5, 0, 4, 9])),
    });
    const ds = readIdxDataset(dir, 'train', { name: 'mnist', classNames: ['a'] });
    expect(ds).toMatchObject({ name: 'mnist', split: 'train', n: 4, shape: [28, 28, 1], numClasses: 10, classNames: ['a'] });
    expect(ds.images).toBeInstanceOf(Float32Array);
    expect(ds.images.length).toBe(4 * 784);
    expect(ds.images[1]).toBeCloseTo(7 / 255, 6);
    expect(Math.max(...ds.images)).toBeLessThanOrEqual(1);
    expect(Array.from(ds.labels)).toEqual([5, 0, 4, 9]);
  });

  it('accepts the un-gzipped file names', () => {
    const dir = folder({ 't10k-images-idx3-ubyte': imageFile(2), 't10k-labels-idx1-ubyte': labelFile([1, 2]) });
    const ds = readIdxDataset(dir, 'test');
    expect(ds.n).toBe(2);
    expect(ds.name).toBe(`idx:${dir}`);
  });

  it('names the missing file', () => {
    const dir = folder({ 't10k-images-idx3-ubyte.gz': gzipSync(imageFile(2)) });
    expect(usageMessage(() => readIdxDataset(dir, 'test'))).toBe(`${dir}: missing t10k-labels-idx1-ubyte.gz (or t10k-labels-idx1-ubyte)`);
  });

  it('refuses a label count that differs from the image count', () => {
    const dir = folder({ 'train-images-idx3-ubyte.gz': gzipSync(imageFile(3)), 'train-labels-idx1-ubyte.gz': gzipSync(labelFile([1, 2])) });
    const msg = usageMessage(() => readIdxDataset(dir, 'train'));
    expect(msg).toContain('train-labels-idx1-ubyte.gz: holds 2 labels but');
    expect(msg).toContain('train-images-idx3-ubyte.gz holds 3 images');
  });

  it('refuses labels out of range', () => {
    const dir = folder({ 'train-images-idx3-ubyte.gz': gzipSync(imageFile(2)), 'train-labels-idx1-ubyte.gz': gzipSync(labelFile([1, 12])) });
    expect(usageMessage(() => readIdxDataset(dir, 'train'))).toMatch(/label 12 at index 1 is out of range 0\.\.9/);
  });

  it('refuses images that are not 28×28 unless any size is allowed', () => {
    const dir = folder({ 'train-images-idx3-ubyte': imageFile(2, 32, 30), 'train-labels-idx1-ubyte': labelFile([1, 2]) });
    expect(usageMessage(() => readIdxDataset(dir, 'train'))).toMatch(/train-images-idx3-ubyte: images are 32×30, expected 28×28/);
    expect(readIdxDataset(dir, 'train', { imageSize: 'any' }).shape).toEqual([32, 30, 1]);
  });

  it('refuses an empty image file', () => {
    const dir = folder({ 'train-images-idx3-ubyte': imageFile(0), 'train-labels-idx1-ubyte': labelFile([]) });
    expect(usageMessage(() => readIdxDataset(dir, 'train'))).toMatch(/holds no images/);
  });
});
