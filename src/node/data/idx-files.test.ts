import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { idxImageFile, idxLabelFile, usageMessage } from '../../../test/helpers.js';
import { readIdxDataset } from './idx-files.js';
import { bytesPerValue, pixelRange } from '../../core/data/pixels.js';

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
      'train-images-idx3-ubyte.gz': gzipSync(idxImageFile(4)),
      'train-labels-idx1-ubyte.gz': gzipSync(idxLabelFile([5, 0, 4, 9])),
    });
    const ds = readIdxDataset(dir, 'train', { name: 'mnist', classNames: ['a'] });
    expect(ds).toMatchObject({ name: 'mnist', split: 'train', n: 4, shape: [28, 28, 1], numClasses: 10, classNames: ['a'] });
    expect(pixelRange(ds)).toBeInstanceOf(Float32Array);
    expect(bytesPerValue(ds)).toBe(1);
    expect(pixelRange(ds).length).toBe(4 * 784);
    expect(pixelRange(ds)[1]).toBeCloseTo(7 / 255, 6);
    expect(Math.max(...pixelRange(ds))).toBeLessThanOrEqual(1);
    expect(Array.from(ds.labels)).toEqual([5, 0, 4, 9]);
  });

  it('accepts the un-gzipped file names', () => {
    const dir = folder({ 't10k-images-idx3-ubyte': idxImageFile(2), 't10k-labels-idx1-ubyte': idxLabelFile([1, 2]) });
    const ds = readIdxDataset(dir, 'test');
    expect(ds.n).toBe(2);
    expect(ds.name).toBe(`idx:${dir}`);
  });

  it('names the missing file', () => {
    const dir = folder({ 't10k-images-idx3-ubyte.gz': gzipSync(idxImageFile(2)) });
    expect(usageMessage(() => readIdxDataset(dir, 'test'))).toBe(`${dir}: missing t10k-labels-idx1-ubyte.gz (or t10k-labels-idx1-ubyte)`);
  });

  it('refuses a label count that differs from the image count', () => {
    const dir = folder({ 'train-images-idx3-ubyte.gz': gzipSync(idxImageFile(3)), 'train-labels-idx1-ubyte.gz': gzipSync(idxLabelFile([1, 2])) });
    const msg = usageMessage(() => readIdxDataset(dir, 'train'));
    expect(msg).toContain('train-labels-idx1-ubyte.gz: holds 2 labels but');
    expect(msg).toContain('train-images-idx3-ubyte.gz holds 3 images');
  });

  it('refuses labels out of range', () => {
    const dir = folder({ 'train-images-idx3-ubyte.gz': gzipSync(idxImageFile(2)), 'train-labels-idx1-ubyte.gz': gzipSync(idxLabelFile([1, 12])) });
    expect(usageMessage(() => readIdxDataset(dir, 'train'))).toMatch(/label 12 at index 1 is out of range 0\.\.9/);
  });

  it('refuses images that are not 28×28 unless any size is allowed', () => {
    const dir = folder({ 'train-images-idx3-ubyte': idxImageFile(2, 32, 30), 'train-labels-idx1-ubyte': idxLabelFile([1, 2]) });
    expect(usageMessage(() => readIdxDataset(dir, 'train'))).toMatch(/train-images-idx3-ubyte: images are 32×30, expected 28×28/);
    expect(readIdxDataset(dir, 'train', { imageSize: 'any' }).shape).toEqual([32, 30, 1]);
  });

  it('refuses an empty image file', () => {
    const dir = folder({ 'train-images-idx3-ubyte': idxImageFile(0), 'train-labels-idx1-ubyte': idxLabelFile([]) });
    expect(usageMessage(() => readIdxDataset(dir, 'train'))).toMatch(/holds no images/);
  });
});
