import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CIFAR_RECORD, CIFAR10_CLASS_NAMES } from '../../core/data/cifar.js';
import { loadDataset } from '../../core/data/load.js';
import { tempDir } from '../../../test/helpers.js';
import { CIFAR10_ARCHIVE, locateCifar10 } from './cifar-files.js';
import { md5Hex } from './download.js';
import './datasets.js';
import { bytesPerValue, pixelRange } from '../../core/data/pixels.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir('latentkit-cifar-');
  dirs.push(d);
  return d;
}

/** `n` records; record r of batch b has label (b + r) % 10 and byte k of its image (7b + 3r + k) % 256. */
function batch(b: number, n: number): Uint8Array {
  const out = new Uint8Array(n * CIFAR_RECORD);
  for (let r = 0; r < n; r++) {
    out[r * CIFAR_RECORD] = (b + r) % 10;
    for (let k = 0; k < CIFAR_RECORD - 1; k++) out[r * CIFAR_RECORD + 1 + k] = (7 * b + 3 * r + k) % 256;
  }
  return out;
}

/** A miniature of cifar-10-batches-bin/: two records per training batch, three test records. */
function miniature(folder: string): void {
  fs.mkdirSync(folder, { recursive: true });
  for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(folder, `data_batch_${b}.bin`), batch(b, 2));
  fs.writeFileSync(path.join(folder, 'test_batch.bin'), batch(0, 3));
}

const offline = (async () => {
  throw new TypeError('fetch failed');
}) as typeof fetch;

describe('cifar10', () => {
  it('reads the binary batches: labels, and planar RGB as interleaved pixels', async () => {
    const data = dir();
    miniature(path.join(data, 'cifar10', 'cifar-10-batches-bin'));
    const options = { dataDir: data, env: {}, fetch: offline, quiet: true };
    const train = await loadDataset('cifar10', { ...options, split: 'train' });
    const test = await loadDataset('cifar10', { ...options, split: 'test' });
    expect([train.n, test.n]).toEqual([10, 3]);
    expect([bytesPerValue(train), bytesPerValue(test)]).toEqual([1, 1]);
    expect(train.shape).toEqual([32, 32, 3]);
    expect(train.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect(Array.from(train.labels)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    // Pixel (y, x) channel c of record r of batch b: byte c·1024 + 32y + x of its image.
    const at = (b: number, r: number, y: number, x: number, c: number) => ((7 * b + 3 * r + c * 1024 + 32 * y + x) % 256) / 255;
    for (const [y, x, c] of [
      [0, 0, 0],
      [5, 17, 1],
      [31, 31, 2],
    ] as const) {
      expect(pixelRange(train)[3 * 3072 + (y * 32 + x) * 3 + c]).toBeCloseTo(at(2, 1, y, x, c), 6); // batch 2, record 1
      expect(pixelRange(test)[2 * 3072 + (y * 32 + x) * 3 + c]).toBeCloseTo(at(0, 2, y, x, c), 6);
    }
    expect((await loadDataset('cifar10', { ...options, split: 'train', limit: 3 })).n).toBe(3);
  });

  it('refuses a batch that is not whole records, naming the file', async () => {
    const data = dir();
    miniature(data);
    fs.writeFileSync(path.join(data, 'test_batch.bin'), new Uint8Array(CIFAR_RECORD + 5));
    await expect(loadDataset('cifar10', { dataDir: data, env: {}, split: 'test', quiet: true })).rejects.toThrow(`${path.join(data, 'test_batch.bin')} is not a CIFAR-10 batch: ${CIFAR_RECORD + 5} bytes`);
  });

  const hasTar = spawnSync('tar', ['--version']).status === 0;
  it.skipIf(!hasTar)('downloads the archive, checks its MD5 and unpacks it into the cache; a wrong MD5 is refused', async () => {
    const staging = dir();
    miniature(path.join(staging, 'cifar-10-batches-bin'));
    const archive = path.join(staging, CIFAR10_ARCHIVE);
    expect(spawnSync('tar', ['czf', archive, '-C', staging, 'cifar-10-batches-bin']).status).toBe(0);
    const bytes = fs.readFileSync(archive);
    const served = (async (url: string) => (url === 'https://m.test/cifar-10-binary.tar.gz' ? new Response(new Uint8Array(bytes)) : new Response('no', { status: 404 }))) as typeof fetch;
    const cacheDir = dir();
    const remote = { mirrors: ['https://m.test/'], md5: { [CIFAR10_ARCHIVE]: md5Hex(bytes) } };
    const folder = await locateCifar10('train', { cacheDir, env: {}, fetch: served, quiet: true, remote });
    expect(folder).toBe(path.join(cacheDir, 'cifar10', 'cifar-10-batches-bin'));
    expect(fs.readFileSync(path.join(folder, 'data_batch_3.bin'))).toEqual(Buffer.from(batch(3, 2)));
    expect(fs.existsSync(path.join(cacheDir, 'cifar10', CIFAR10_ARCHIVE))).toBe(false);
    // Found in the cache the second time: no fetch.
    expect(await locateCifar10('test', { cacheDir, env: {}, fetch: offline, quiet: true, remote })).toBe(folder);
    const wrong = { ...remote, md5: { [CIFAR10_ARCHIVE]: '0'.repeat(32) } };
    await expect(locateCifar10('train', { cacheDir: dir(), env: {}, fetch: served, quiet: true, remote: wrong })).rejects.toThrow(/checksum mismatch/);
  });
});
