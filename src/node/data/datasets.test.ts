import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.js';
import { encodeIdx } from '../../core/data/idx.js';
import { binarize, datasetNames, loadDataset } from '../../core/data/load.js';
import { generateSprites } from '../../core/data/sprites.js';
import type { Dataset } from '../../core/data/types.js';
import './datasets.js';
import { pixelRange } from '../../core/data/pixels.js';

const realDataDir = process.env.LATENTKIT_DATA_DIR;

const offline = (async () => {
  throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND mirror') });
}) as typeof fetch;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A folder with the four gzip IDX files of a 5-train / 3-test MNIST look-alike; pixel p of image i is (i + p) % 256. */
function tinyFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latentkit-load-'));
  dirs.push(dir);
  const images = (n: number): Uint8Array => gzipSync(encodeIdx('images', [n, 28, 28], Uint8Array.from({ length: n * 784 }, (_, k) => (Math.floor(k / 784) + (k % 784)) % 256)));
  const labels = (values: number[]): Uint8Array => gzipSync(encodeIdx('labels', [values.length], Uint8Array.from(values)));
  fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), images(5));
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), labels([5, 0, 4, 1, 9]));
  fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), images(3));
  fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), labels([7, 2, 1]));
  return dir;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return err as Error;
}

/** Byte equality: vitest's deep equality is slow on arrays of 10⁵ floats. */
function same(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function range(a: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

describe('loadDataset', () => {
  it('refuses an unknown name, listing the known ones', async () => {
    const err = await rejection(loadDataset('cifar', { split: 'train' }));
    expect(err.message).toBe("dataset 'cifar' is unknown; known datasets: mnist, fashion-mnist, idx:<folder>, csv:<file>, images:<folder>, celeba:<folder>, npz:<file>, npy:<file>, cifar10, sprites, shapes");
    expect(datasetNames()).toEqual(['mnist', 'fashion-mnist', 'idx:<folder>', 'csv:<file>', 'images:<folder>', 'celeba:<folder>', 'npz:<file>', 'npy:<file>', 'cifar10', 'sprites', 'shapes']);
  });

  it.each([0, -3, 2.5, Number.NaN])('refuses limit %s', async (limit) => {
    const err = await rejection(loadDataset('sprites', { split: 'test', limit }));
    expect(err.message).toMatch(/^limit must be a positive integer/);
  });

  it('loads mnist from --data-dir with class names, and keeps the first N', async () => {
    const dir = tinyFolder();
    const ds = await loadDataset('mnist', { split: 'train', dataDir: dir, env: {}, fetch: offline, quiet: true });
    expect(ds).toMatchObject({ name: 'mnist', split: 'train', n: 5, shape: [28, 28, 1], numClasses: 10 });
    expect(ds.classNames).toHaveLength(10);
    const first = await loadDataset('mnist', { split: 'train', dataDir: dir, env: {}, fetch: offline, quiet: true, limit: 2 });
    expect(first.n).toBe(2);
    expect(same(pixelRange(first), pixelRange(ds).subarray(0, 2 * 784))).toBe(true);
    expect(Array.from(first.labels)).toEqual([5, 0]);
    const all = await loadDataset('mnist', { split: 'test', dataDir: dir, env: {}, fetch: offline, quiet: true, limit: 100 });
    expect(all.n).toBe(3);
  });

  it('names fashion-mnist classes', async () => {
    const ds = await loadDataset('fashion-mnist', { split: 'test', dataDir: tinyFolder(), env: {}, fetch: offline, quiet: true });
    expect(ds.classNames![9]).toBe('Ankle boot');
  });

  it('loads idx:<folder>', async () => {
    const dir = tinyFolder();
    const ds = await loadDataset(`idx:${dir}`, { split: 'test' });
    expect(ds.name).toBe(`idx:${dir}`);
    expect(ds.n).toBe(3);
    expect((await rejection(loadDataset('idx:', { split: 'test' }))).message).toMatch(/idx: needs a folder/);
    expect((await rejection(loadDataset(`idx:${path.join(dir, 'nope')}`, { split: 'test' }))).message).toMatch(/missing t10k-images-idx3-ubyte\.gz/);
  });

  it('generates sprites from the seed; limit keeps the prefix', async () => {
    const ds = await loadDataset('sprites', { split: 'train', limit: 30, seed: 4 });
    const ref = generateSprites({ split: 'train', n: 60, seed: 4 });
    expect(ds.n).toBe(30);
    expect(same(pixelRange(ds), pixelRange(ref).subarray(0, 30 * 784))).toBe(true);
    expect(same(ds.factors!.values, ref.factors!.values.subarray(0, 30 * 5))).toBe(true);
  });

  it('reports a dataset that cannot be found with the places it looked', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'latentkit-cache-'));
    dirs.push(cache);
    const err = await rejection(loadDataset('mnist', { split: 'test', env: {}, cacheDir: cache, fetch: offline, quiet: true }));
    expect(err.message).toContain('$LATENTKIT_DATA_DIR (not set)');
    expect(err.message).toContain(path.join(cache, 'mnist'));
    expect(err.message).toContain('--data-dir');
  });

  it.skipIf(!realDataDir)('loads real MNIST through $LATENTKIT_DATA_DIR', async () => {
    const opts = { env: process.env, fetch: offline, quiet: true, cacheDir: path.join(os.tmpdir(), 'latentkit-never-used') };
    const train = await loadDataset('mnist', { split: 'train', ...opts });
    expect(train.n).toBe(60000);
    expect(pixelRange(train).length).toBe(60000 * 784);
    expect(train.labels[0]).toBe(5);
    expect(range(pixelRange(train))).toEqual([0, 1]);
    const counts = new Array<number>(10).fill(0);
    for (const l of train.labels) counts[l]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(5000);
    const test = await loadDataset('mnist', { split: 'test', ...opts });
    expect(test.n).toBe(10000);
    expect(test.labels[0]).toBe(7);
    expect(range(pixelRange(test))).toEqual([0, 1]);
  });
});

describe('binarize', () => {
  const ds: Dataset = { ...generateSprites({ split: 'test', n: 200 }) };

  it('none returns the dataset itself', () => {
    expect(binarize(ds, 'none', 1)).toBe(ds);
  });

  it('static thresholds at 0.5, deterministically, without touching the input', () => {
    const before = pixelRange(ds).slice();
    const b = binarize(ds, 'static', 1);
    expect(same(pixelRange(ds), before)).toBe(true);
    expect(same(pixelRange(b), before.map((v) => (v >= 0.5 ? 1 : 0)))).toBe(true);
    expect(same(pixelRange(binarize(ds, 'static', 2)), pixelRange(b))).toBe(true);
  });

  it('dynamic samples each pixel with probability = intensity, reproducibly per seed', () => {
    const a = binarize(ds, 'dynamic', 11);
    expect(same(pixelRange(binarize(ds, 'dynamic', 11)), pixelRange(a))).toBe(true);
    expect(same(pixelRange(binarize(ds, 'dynamic', 12)), pixelRange(a))).toBe(false);
    expect(pixelRange(a).every((v) => v === 0 || v === 1)).toBe(true);
    let on = 0;
    let expected = 0;
    let impossible = 0;
    const [x, drawn] = [pixelRange(ds), pixelRange(a)];
    for (let i = 0; i < x.length; i++) {
      const p = x[i]!;
      // Black pixels never light up, white ones always do.
      if ((p === 0 && drawn[i] !== 0) || (p === 1 && drawn[i] !== 1)) impossible++;
      on += drawn[i]!;
      expected += p;
    }
    expect(impossible).toBe(0);
    expect(Math.abs(on - expected) / expected).toBeLessThan(0.02);
  });

  it('refuses an unknown mode', () => {
    expect(() => binarize(ds, 'soft' as never, 0)).toThrow(UsageError);
  });
});
