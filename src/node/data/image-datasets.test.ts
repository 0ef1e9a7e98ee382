import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadDataset, type LoadOptions } from '../../core/data/load.js';
import { trainingSplits } from '../../core/data/spec.js';
import { generateSprites } from '../../core/data/sprites.js';
import type { Dataset } from '../../core/data/types.js';
import { UsageError } from '../../core/errors.js';
import { hasMnist, tempDir } from '../../../test/helpers.js';
import { toBytes, writeLossy, writePng } from '../../../test/image-files.js';
import './datasets.js';
import { bytesPerValue, examplePixels } from '../../core/data/pixels.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir('latentkit-images-');
  dirs.push(d);
  return d;
}

/** 40 grey 28×28 digits (MNIST when it is there, else sprites) with their labels. */
async function greySource(): Promise<Dataset> {
  if (hasMnist) return loadDataset('mnist', { split: 'test', limit: 40, quiet: true });
  return generateSprites({ split: 'train', n: 40 });
}

/** Random colour images, h×w×3 bytes each, from a fixed seed. */
function colourImages(n: number, h: number, w: number, seed = 1): Uint8Array[] {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  return Array.from({ length: n }, () => Uint8Array.from({ length: h * w * 3 }, next));
}

const key = (pixels: ArrayLike<number>) => Array.from(pixels).join(',');

/** Both splits of a dataset with this loader's options. */
async function both(name: string, options: Omit<LoadOptions, 'split'>): Promise<{ train: Dataset; test: Dataset }> {
  return { train: await loadDataset(name, { ...options, split: 'train' }), test: await loadDataset(name, { ...options, split: 'test' }) };
}

function rowsOf(ds: Dataset): Uint8Array[] {
  return Array.from({ length: ds.n }, (_, i) => toBytes(examplePixels(ds, i)));
}

describe('images:<folder>', () => {
  it('reads PNG class subfolders exactly: labels from the folder names, a stable held-out split', async () => {
    const source = await greySource();
    const root = dir();
    const names = source.classNames ?? Array.from({ length: source.numClasses }, (_, k) => `class-${k}`);
    const expected = new Map<string, string>(); // pixels -> class name
    source.labels.forEach((label, i) => {
      const pixels = toBytes(examplePixels(source, i));
      expected.set(key(pixels), names[label]!);
      writePng(path.join(root, names[label]!, `img-${i}.png`), pixels, 28, 28, 1);
    });
    const cacheDir = dir();
    const { train, test } = await both(`images:${root}`, { cacheDir });
    expect([bytesPerValue(train), bytesPerValue(test)]).toEqual([1, 1]);
    expect(train.shape).toEqual([28, 28, 1]); // their own size; all grey
    expect(train.n + test.n).toBe(40);
    expect(test.n).toBeGreaterThan(0);
    expect(test.n).toBeLessThan(15);
    const used = [...new Set(names.filter((_, k) => source.labels.includes(k)))].sort();
    expect(train.classNames).toEqual(used);
    for (const ds of [train, test]) {
      rowsOf(ds).forEach((row, i) => {
        // Every image is one of the sources, bit for bit, with its class.
        expect(expected.get(key(row))).toBe(ds.classNames![ds.labels[i]!]);
      });
    }
    // The same split from another cache (decoded afresh).
    const again = await both(`images:${root}`, { cacheDir: dir() });
    expect(rowsOf(again.test).map(key)).toEqual(rowsOf(test).map(key));
  });

  it('reads colour JPEG and WebP within lossy tolerance, and uses train/ and test/ when present', async () => {
    const root = dir();
    const pictures = colourImages(6, 16, 16);
    const where = ['train/a/0.jpg', 'train/a/1.webp', 'train/b/2.jpg', 'train/b/3.png', 'test/a/4.jpg', 'test/b/5.jpeg'];
    for (const [i, rel] of where.entries()) {
      if (rel.endsWith('.png')) writePng(path.join(root, rel), pictures[i]!, 16, 16, 3);
      else await writeLossy(path.join(root, rel), pictures[i]!, 16, 16, 3);
    }
    const { train, test } = await both(`images:${root}`, { cacheDir: dir() });
    expect([train.n, test.n]).toEqual([4, 2]);
    expect(train.shape).toEqual([16, 16, 3]);
    expect(train.classNames).toEqual(['a', 'b']);
    expect(Array.from(train.labels)).toEqual([0, 0, 1, 1]);
    expect(Array.from(test.labels)).toEqual([0, 1]);
    const loaded = [...rowsOf(train), ...rowsOf(test)];
    loaded.forEach((row, i) => {
      const diffs = row.map((v, p) => Math.abs(v - pictures[i]![p]!));
      const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
      // PNG and lossless WebP exactly; JPEG at quality 100 within a few grey levels on average.
      if (/\.(png|webp)$/.test(where[i]!)) expect(mean, where[i]).toBe(0);
      else expect(mean, where[i]).toBeLessThan(4);
    });
  });

  it('resizes the short side and crops the centre; grey images become RGB in a colour set', async () => {
    const root = dir();
    // 60×20: red for x < 30, blue from 30. The centre 20×20 square is x in [20, 40): half red, half blue.
    const wide = new Uint8Array(60 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 60; x++) wide.set(x < 30 ? [255, 0, 0] : [0, 0, 255], (y * 60 + x) * 3);
    writePng(path.join(root, 'wide.png'), wide, 60, 20, 3);
    writePng(path.join(root, 'grey.png'), new Uint8Array(10 * 10).fill(200), 10, 10, 1);
    const { train, test } = await both(`images:${root}`, { cacheDir: dir(), images: { imageSize: 10 } });
    expect(train.shape).toEqual([10, 10, 3]); // mixed sizes; one image in colour
    const all = [...rowsOf(train), ...rowsOf(test)];
    const red = all.find((r) => r[0] === 255)!;
    // Resampling may ring by a level or two near the edge.
    const near = (r: Uint8Array, x: number, y: number, rgb: number[]) => rgb.forEach((v, k) => expect(Math.abs(r[(y * 10 + x) * 3 + k]! - v)).toBeLessThanOrEqual(2));
    for (const y of [0, 5, 9]) {
      for (const x of [0, 1, 2, 3]) near(red, x, y, [255, 0, 0]);
      for (const x of [6, 7, 8, 9]) near(red, x, y, [0, 0, 255]);
    }
    const grey = all.find((r) => r[0] === 200)!;
    expect(Array.from(grey)).toEqual(new Array(300).fill(200));
    // Without a size, mixed sizes give 64.
    expect((await loadDataset(`images:${root}`, { split: 'train', cacheDir: dir() })).shape).toEqual([64, 64, 3]);
  });

  it('reads the cache the second time and decodes again when a file changes', async () => {
    const root = dir();
    const pictures = colourImages(12, 8, 8, 7);
    pictures.forEach((p, i) => writePng(path.join(root, `p${i}.png`), p, 8, 8, 3));
    // Whole seconds, which utimes restores exactly.
    const when = new Date(1_700_000_000_000);
    for (const f of fs.readdirSync(root)) fs.utimesSync(path.join(root, f), when, when);
    const cacheDir = dir();
    const first = await both(`images:${root}`, { cacheDir });
    expect(fs.readdirSync(path.join(cacheDir, 'images')).some((f) => f.endsWith('.u8'))).toBe(true);
    // Garbage of the same length and modification time: only a cache hit still reads the old pixels.
    const victim = path.join(root, 'p3.png');
    const stat = fs.statSync(victim);
    fs.writeFileSync(victim, Buffer.alloc(stat.size, 7));
    fs.utimesSync(victim, when, when);
    const second = await both(`images:${root}`, { cacheDir });
    expect(rowsOf(second.train).map(key)).toEqual(rowsOf(first.train).map(key));
    expect(rowsOf(second.test).map(key)).toEqual(rowsOf(first.test).map(key));
    // A new modification time invalidates the cache: the garbage is now read, and refused.
    fs.utimesSync(victim, when, new Date(when.getTime() + 5000));
    await expect(both(`images:${root}`, { cacheDir })).rejects.toThrow(`${victim}: not a readable image`);
  });

  it('refuses bad images naming the file, or skips them with a count', async () => {
    const root = dir();
    colourImages(4, 8, 8).forEach((p, i) => writePng(path.join(root, 'good', `g${i}.png`), p, 8, 8, 3));
    const jpeg = path.join(root, 'bad', 'truncated.jpg');
    await writeLossy(jpeg, colourImages(1, 32, 32)[0]!, 32, 32, 3);
    fs.writeFileSync(jpeg, fs.readFileSync(jpeg).subarray(0, 300));
    const bad = {
      'empty.png': Buffer.alloc(0),
      'text.png': Buffer.from('not an image at all'),
      'anim.gif': await sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } }).gif().toBuffer(),
    };
    for (const [name, bytes] of Object.entries(bad)) fs.writeFileSync(path.join(root, 'bad', name), bytes);
    const options = { cacheDir: dir(), images: { imageSize: 8, channels: 3 } };
    // One refusal at a time, each naming its file; the named file is then hidden (hidden files are not read).
    const messages: Record<string, string> = {};
    for (let round = 0; round < 4; round++) {
      const err = await both(`images:${root}`, options).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      const message = (err as Error).message;
      const name = ['anim.gif', 'empty.png', 'text.png', 'truncated.jpg'].find((n) => message.includes(path.join(root, 'bad', n)))!;
      messages[name] = message;
      expect(message).toContain('--skip-bad');
      fs.renameSync(path.join(root, 'bad', name), path.join(root, 'bad', `.${name}`));
    }
    expect(messages['anim.gif']).toMatch(/anim\.gif: gif format is not supported; use PNG, JPEG or WebP/);
    expect(messages['empty.png']).toMatch(/empty\.png: it is empty \(0 bytes\)/);
    expect(messages['text.png']).toMatch(/text\.png: not a readable image/);
    expect(messages['truncated.jpg']).toMatch(/truncated\.jpg: (cannot be decoded|not a readable image)/);
    for (const name of Object.keys(bad).concat('truncated.jpg')) fs.renameSync(path.join(root, 'bad', `.${name}`), path.join(root, 'bad', name));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { train, test } = await both(`images:${root}`, { ...options, images: { ...options.images, skipBad: true } });
    const said = stderr.mock.calls.map((c) => String(c[0])).join('');
    stderr.mockRestore();
    expect(said).toMatch(/skipped [1-4] unreadable image\(s\)/);
    expect(train.n + test.n).toBe(4);
    expect(train.classNames).toEqual(['bad', 'good']); // a folder name is a class even when its images are skipped
  });

  it('joins an attribute table by base name or relative path, and labels by an attribute', async () => {
    const root = dir();
    const pictures = colourImages(20, 4, 4, 3);
    pictures.forEach((p, i) => writePng(path.join(root, i < 10 ? 'x' : 'y', `${i}.png`), p, 4, 4, 3));
    const table = path.join(root, '..', `${path.basename(root)}-attrs.csv`);
    dirs.push(table);
    const rows = pictures.map((_, i) => `${i < 10 ? `x/${i}.png` : `${i}.png`},${i % 3 === 0 ? 1 : 0},${i * 1.5},note ${i}`);
    fs.writeFileSync(table, `file,Smiling,age,note\n${rows.join('\n')}\n`);
    const spec = { dataset: `images:${root}`, attributes: table };
    const { trainSet, testSet } = await trainingSplits(spec, { cacheDir: dir() });
    expect(trainSet.factors!.names).toEqual(['Smiling', 'age']); // the text column is dropped
    for (const ds of [trainSet, testSet]) {
      rowsOf(ds).forEach((row, r) => {
        const i = pictures.findIndex((p) => key(p) === key(row));
        expect(Array.from(ds.factors!.values.subarray(r * 2, r * 2 + 2))).toEqual([i % 3 === 0 ? 1 : 0, i * 1.5]);
      });
    }
    const labelled = await trainingSplits({ ...spec, labelAttribute: 'Smiling' }, { cacheDir: dir() });
    expect(labelled.trainSet.classNames).toEqual(['not Smiling', 'Smiling']);
    expect(Array.from(labelled.trainSet.labels)).toEqual(Array.from({ length: trainSet.n }, (_, r) => trainSet.factors!.values[r * 2]));
    await expect(trainingSplits({ ...spec, labelAttribute: 'age' })).rejects.toThrow("labelAttribute 'age' has the value 1.5");
    await expect(trainingSplits({ ...spec, labelAttribute: 'Frowning' })).rejects.toThrow("labelAttribute 'Frowning' is not an attribute of");
    fs.writeFileSync(table, `file,Smiling\n${rows.slice(1).join('\n')}\n`.replace(/,note \d+/g, '').replace(/,[\d.]+\n/g, '\n'));
    await expect(trainingSplits(spec)).rejects.toThrow(`attributes ${table} has no row for the image x/0.png`);
    await expect(trainingSplits({ dataset: 'sprites', attributes: table })).rejects.toThrow('attributes applies to images:<folder> and celeba:<folder>, not sprites');
  });
});

describe('celeba:<folder>', () => {
  it('reads the partition and the 40-attribute file of CelebA as distributed', async () => {
    const root = dir();
    // Image i is one flat colour (10i, 0, 0), so a loaded image tells which file it came from.
    const files = Array.from({ length: 6 }, (_, i) => `00000${i + 1}.jpg`);
    for (const [i, f] of files.entries()) await writeLossy(path.join(root, 'img_align_celeba', f), new Uint8Array(18 * 22 * 3).map((_, p) => (p % 3 === 0 ? 40 * i : 0)), 18, 22, 3);
    const attrs = [
      [1, -1, 1],
      [-1, -1, 1],
      [1, 1, -1],
      [-1, 1, -1],
      [1, -1, -1],
      [-1, 1, 1],
    ];
    const lines = attrs.map((a, i) => `${files[i]} ${a.map((v) => (v > 0 ? ' 1' : '-1')).join(' ')}`);
    fs.writeFileSync(path.join(root, 'list_attr_celeba.txt'), `6\nSmiling Eyeglasses Male \n${lines.join('\n')}\n`);
    const partition = [0, 2, 1, 0, 2, 0];
    fs.writeFileSync(path.join(root, 'list_eval_partition.txt'), files.map((f, i) => `${f} ${partition[i]}`).join('\n'));
    const { train, test } = await both(`celeba:${root}`, { cacheDir: dir(), images: { imageSize: 8 } });
    expect(train.shape).toEqual([8, 8, 3]);
    expect([train.n, test.n]).toEqual([4, 2]);
    expect(train.factors!.names).toEqual(['Smiling', 'Eyeglasses', 'Male']);
    const source = (ds: Dataset, r: number) => Math.round((examplePixels(ds, r)[0]! * 255) / 40);
    expect(Array.from({ length: 4 }, (_, r) => source(train, r))).toEqual([0, 2, 3, 5]);
    expect(Array.from({ length: 2 }, (_, r) => source(test, r))).toEqual([1, 4]);
    for (const [ds, rows] of [
      [train, [0, 2, 3, 5]],
      [test, [1, 4]],
    ] as const) {
      rows.forEach((i, r) => expect(Array.from(ds.factors!.values.subarray(r * 3, r * 3 + 3))).toEqual(attrs[i]!.map((v) => (v > 0 ? 1 : 0))));
    }
    fs.rmSync(path.join(root, 'list_eval_partition.txt'));
    await expect(loadDataset(`celeba:${root}`, { split: 'train' })).rejects.toThrow(/has no list_eval_partition\.txt/);
  });
});
