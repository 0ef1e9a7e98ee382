/**
 * The browser lab end to end, in Debian's chromium (headless, no GPU) driven
 * by Playwright: training in the page, the map, hovering, clicking, drawing,
 * exporting a run the CLI reads, opening a CLI run, and the cpu fallback when
 * the wasm files are missing. The page is the built one (npm run build:lab).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { unzipSync } from 'fflate';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/core/data/load.js';
import { pixelRange } from '../src/core/data/pixels.js';
import { SPRITE_SHAPES } from '../src/core/data/sprites.js';
import { decodeCodes } from '../src/core/models/inference.js';
import { loadRun } from '../src/node/run/run-folder.js';
import { buildLab } from '../src/server/lab.js';
import { cli, hasMnist, setup, tempDir } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let browser: Browser;
let app: FastifyInstance;
let url: string;
let runs: string;

/** A page that records console errors and uncaught exceptions. */
async function open(address: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(address);
  return { page, errors };
}

const text = (page: Page, id: string) => page.locator(`[data-testid=${id}]`).textContent();
const waitStatus = (page: Page, status: string, timeout = 120_000) => page.waitForFunction((s) => document.querySelector('[data-testid=status]')?.textContent === s, status, { timeout });
/** A canvas's pixels as a data URL (to compare before and after). */
const pixelsOf = (page: Page, id: string) => page.locator(`[data-testid=${id}]`).evaluate((c) => (c as HTMLCanvasElement).toDataURL());
/** Wait until canvas `id` no longer shows `before`. */
const changed = (page: Page, id: string, before: string) => page.waitForFunction(([i, b]) => (document.querySelector(`[data-testid=${i}]`) as HTMLCanvasElement).toDataURL() !== b, [id, before] as const);

/** Draw one stroke on the pad between two points given as fractions of its size, and wait for the reconstruction. */
async function drawStroke(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const pad = (await page.locator('[data-testid=draw]').boundingBox())!;
  const blank = await pixelsOf(page, 'draw-recon');
  await page.mouse.move(pad.x + pad.width * from[0], pad.y + pad.height * from[1]);
  await page.mouse.down();
  await page.mouse.move(pad.x + pad.width * to[0], pad.y + pad.height * to[1], { steps: 10 });
  await page.mouse.up();
  await changed(page, 'draw-recon', blank);
}

beforeAll(async () => {
  await setup('wasm');
  runs = tempDir();
  const trained = cli(['train', '--model', 'vae', '--dataset', 'sprites', '--limit', '512', '--epochs', '1', '--hidden', '32', '--latent', '2', '--out', path.join(runs, 'cli-vae'), '--quiet'], runs);
  expect(trained.code, trained.stderr).toBe(0);
  app = await buildLab({ port: 0, host: '127.0.0.1', runs });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('latentkit lab', () => {
  it('trains sprites in the page, then its map, hover, click, drawing and export work', async () => {
    const { page, errors } = await open(`${url}/?dataset=sprites&model=vae&latent=2&epochs=2&limit=1000&autostart=1`);
    await page.waitForFunction(() => document.querySelector('[data-testid=epoch]')?.textContent === '1', null, { timeout: 120_000 });
    const first = Number(await text(page, 'test-loss'));
    await waitStatus(page, 'done');
    const second = Number(await text(page, 'test-loss'));
    expect(await text(page, 'backend')).toBe('wasm');
    expect(second).toBeLessThan(first);

    // One colour per class: count the map's pixels of each palette colour.
    const colours = await page.locator('[data-testid=latent-map]').evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const counts = new Map<string, number>();
      for (let i = 0; i < data.length; i += 4) {
        const key = `${data[i]},${data[i + 1]},${data[i + 2]}`;
        if (key !== '255,255,255') counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts.values()].filter((n) => n > 30).length;
    });
    expect(colours).toBe(SPRITE_SHAPES.length);

    // Hovering two places shows two different reconstructions; clicking decodes a point.
    const map = page.locator('[data-testid=latent-map]');
    const box = (await map.boundingBox())!;
    const before = await pixelsOf(page, 'hover-recon');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await changed(page, 'hover-recon', before);
    const hovered = await pixelsOf(page, 'hover-recon');
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.4);
    await changed(page, 'hover-recon', hovered);
    const emptyDecode = await pixelsOf(page, 'decoded');
    await map.click({ position: { x: box.width * 0.2, y: box.height * 0.2 } });
    await changed(page, 'decoded', emptyDecode);
    const decoded = await pixelsOf(page, 'decoded');
    await map.click({ position: { x: box.width * 0.8, y: box.height * 0.8 } });
    await changed(page, 'decoded', decoded);

    // The same codes under UMAP: still one colour per class, and a click still decodes.
    await page.selectOption('[data-testid=projection]', 'umap');
    await page.waitForFunction(() => /\(UMAP of /.test(document.querySelector('#map-kind')?.textContent ?? ''), null, { timeout: 60_000 });
    const umapDecoded = await pixelsOf(page, 'decoded');
    await map.click({ position: { x: box.width * 0.5, y: box.height * 0.5 } });
    await changed(page, 'decoded', umapDecoded);

    // Drawing a stroke gives a reconstruction, a place on the map and a score.
    await drawStroke(page, [0.3, 0.3], [0.7, 0.7]);
    await page.waitForFunction(() => /anomaly score \d/.test(document.querySelector('[data-testid=draw-score]')?.textContent ?? ''));

    // The exported run is a run folder every CLI command reads.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export-run]').click()]);
    const zip = unzipSync(new Uint8Array(fs.readFileSync((await download.path())!)));
    const out = tempDir();
    for (const [name, bytes] of Object.entries(zip)) {
      fs.mkdirSync(path.dirname(path.join(out, name)), { recursive: true });
      fs.writeFileSync(path.join(out, name), bytes);
    }
    const runDir = path.join(out, fs.readdirSync(out)[0]!);
    const evaluated = cli(['eval', '--run', runDir, '--dataset', 'sprites', '--limit', '100', '--json'], out);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ model: 'vae', dataset: 'sprites', examples: 100 });
    expect(JSON.parse(evaluated.stdout).loss).toBeGreaterThan(0);
    const sampled = cli(['sample', '--run', runDir, '--n', '4', '--out', path.join(out, 's.png')], out);
    expect(sampled.code, sampled.stderr).toBe(0);

    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('pauses and resumes training, and stops it early with the run kept', async () => {
    const { page, errors } = await open(`${url}/?dataset=sprites&model=vae&latent=2&epochs=200&limit=2000&autostart=1`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=epoch]')?.textContent) >= 1, null, { timeout: 60_000 });
    await page.locator('#pause').click();
    await waitStatus(page, 'paused');
    const held = await text(page, 'epoch');
    await page.waitForTimeout(1500);
    // at most the epoch in flight when the pause came finishes
    expect(Number(await text(page, 'epoch')) - Number(held)).toBeLessThanOrEqual(1);
    const pausedAt = await text(page, 'epoch');
    await page.waitForTimeout(1000);
    expect(await text(page, 'epoch')).toBe(pausedAt);
    await page.locator('#pause').click();
    await waitStatus(page, 'training');
    await page.waitForFunction((e) => Number(document.querySelector('[data-testid=epoch]')?.textContent) > Number(e), pausedAt, { timeout: 60_000 });
    await page.locator('#stop').click();
    await waitStatus(page, 'done');
    expect(await page.locator('#status-detail').textContent()).toMatch(/stopped after \d+ epochs/);
    expect(await page.locator('[data-testid=export-run]').isEnabled()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('opens a run trained by the CLI and decodes the same pixels as the library', async () => {
    const { page, errors } = await open(`${url}/?run=cli-vae`);
    await waitStatus(page, 'done');
    const z = [0.5, -1];
    const inPage = await page.evaluate((code) => (window as unknown as { latentkitLab: { decode(z: number[]): Promise<number[]> } }).latentkitLab.decode(code), z);
    const { model } = await loadRun(path.join(runs, 'cli-vae'));
    const inNode = decodeCodes(model, Float32Array.from(z), 1);
    model.dispose();
    expect(inPage).toHaveLength(inNode.length);
    let worst = 0;
    inPage.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - inNode[i]!))));
    expect(worst).toBeLessThan(1e-5);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it.skipIf(!hasMnist)('trains on MNIST served by latentkit lab from the local data folder', async () => {
    const { page, errors } = await open(`${url}/?dataset=mnist&model=vae&latent=2&epochs=1&limit=1000&autostart=1`);
    await waitStatus(page, 'done');
    expect(Number(await text(page, 'test-loss'))).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("trains on the user's own data: a CSV table, and a set of PNG images", async () => {
    const { page, errors } = await open(`${url}/?model=ae&latent=2&epochs=1`);
    await waitStatus(page, 'ready');
    // A table of 200 rows: two features that follow one hidden factor, and a 0/1 label.
    const lines = ['a,b,label', ...Array.from({ length: 200 }, (_, i) => `${(i % 20) / 10},${((i % 20) * 2) / 10 + 1},${i % 2}`)];
    await page.setInputFiles('[data-testid=data-files]', { name: 'table.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
    await page.waitForFunction(() => (document.querySelector('#form [name=dataset]') as HTMLSelectElement).value === 'csv:table.csv');
    await page.locator('[data-testid=train]').click();
    await waitStatus(page, 'done');
    expect(Number(await text(page, 'test-loss'))).toBeGreaterThan(0);

    // 40 PNG images of 28×28: a bright square at a varying place.
    const { encodePng } = await import('../src/core/viz/grid.js');
    const pngs = Array.from({ length: 40 }, (_, i) => {
      const rgba = new Uint8ClampedArray(28 * 28 * 4).fill(0);
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) rgba.fill(255, 4 * ((y + (i % 20)) * 28 + x + (i % 17)), 4 * ((y + (i % 20)) * 28 + x + (i % 17)) + 4);
      return { name: `img${i}.png`, mimeType: 'image/png', buffer: Buffer.from(encodePng({ width: 28, height: 28, rgba })) };
    });
    await page.setInputFiles('[data-testid=data-files]', pngs);
    await page.waitForFunction(() => (document.querySelector('#form [name=dataset]') as HTMLSelectElement).value === 'upload');
    await page.locator('[data-testid=train]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'training');
    await waitStatus(page, 'done');
    expect(Number(await text(page, 'test-loss'))).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('trains a few steps on the colour shapes generated in the page', async () => {
    const { page, errors } = await open(`${url}/?dataset=shapes&model=vae&latent=2&epochs=1&limit=192&batchSize=64&autostart=1`);
    await waitStatus(page, 'done');
    const choices = await page.locator('#form [name=dataset] option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(choices).toEqual(expect.arrayContaining(['shapes', 'shapes:32']));
    expect(Number(await text(page, 'test-loss'))).toBeGreaterThan(0);
    // 64×64 colour tiles: the originals' row is as wide as 64-pixel images drawn twice, and coloured (shapes' backgrounds are never grey).
    const { width, coloured } = await page.locator('[data-testid=reconstructions]').evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height / 2).data;
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.max(data[i]!, data[i + 1]!, data[i + 2]!) - Math.min(data[i]!, data[i + 1]!, data[i + 2]!) > 40) count++;
      return { width: canvas.width, coloured: count / (data.length / 4) };
    });
    expect(width % (64 * 2)).toBeLessThan(64);
    expect(width).toBeGreaterThanOrEqual(64 * 2 * 16);
    expect(coloured).toBeGreaterThan(0.5);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('trains on a picked folder of colour images: a class per subfolder, centre squares at the chosen size', async () => {
    // 24×16 images: green bands at the sides (outside the centre square), a red or blue 6×6 block inside it.
    const { encodePng } = await import('../src/core/viz/grid.js');
    const root = path.join(tempDir(), 'photos');
    for (let i = 0; i < 40; i++) {
      const colour = i % 2 === 0 ? 'red' : 'blue';
      const rgba = new Uint8ClampedArray(24 * 16 * 4);
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 24; x++) {
          const o = 4 * (y * 24 + x);
          const block = x >= 4 + (i % 10) && x < 10 + (i % 10) && y >= i % 10 && y < 6 + (i % 10);
          rgba.set(x < 4 || x >= 20 ? [0, 255, 0, 255] : block ? (colour === 'red' ? [255, 0, 0, 255] : [0, 0, 255, 255]) : [0, 0, 0, 255], o);
        }
      }
      fs.mkdirSync(path.join(root, colour), { recursive: true });
      fs.writeFileSync(path.join(root, colour, `p${i}.png`), encodePng({ width: 24, height: 16, rgba }));
    }
    const { page, errors } = await open(`${url}/?model=ae&latent=2&epochs=1`);
    await waitStatus(page, 'ready');
    await page.selectOption('[data-testid=image-size]', '16');
    await page.setInputFiles('[data-testid=data-folder]', root);
    await page.waitForFunction(() => (document.querySelector('#form [name=dataset]') as HTMLSelectElement).value === 'upload');
    // The split the CLI makes of the same folder (images:<folder>): the same rule, so the same sizes.
    const cliSplit = await Promise.all((['train', 'test'] as const).map((split) => loadDataset(`images:${root}`, { split, cacheDir: tempDir() })));
    expect(cliSplit[1].n).toBeGreaterThan(0);
    expect(await page.locator('#status-detail').textContent()).toBe(`data: 40 images 16×16×3, 2 classes (blue, red); ${cliSplit[0].n} train, ${cliSplit[1].n} test held out`);
    await page.locator('[data-testid=train]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'training');
    await waitStatus(page, 'done');
    // The held-out originals: coloured blocks on black, and none of the green bands the centre square leaves out.
    const seen = await page.locator('[data-testid=reconstructions]').evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height / 2).data;
      const count = { red: 0, blue: 0, green: 0 };
      for (let i = 0; i < data.length; i += 4) {
        if (data[i]! > 200 && data[i + 1]! < 50 && data[i + 2]! < 50) count.red++;
        if (data[i + 2]! > 200 && data[i]! < 50 && data[i + 1]! < 50) count.blue++;
        if (data[i + 1]! > 128 && data[i]! < 128) count.green++;
      }
      return count;
    });
    // The held-out classes are the CLI's (blue is class 0, red class 1).
    expect(seen.red + seen.blue).toBeGreaterThan(0);
    expect(seen.red > 0).toBe(cliSplit[1].labels.includes(1));
    expect(seen.blue > 0).toBe(cliSplit[1].labels.includes(0));
    expect(seen.green).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('follows train/ and test/ subfolders of a picked folder as the CLI does: the same splits, classes and pixels', async () => {
    // 16×16 images, each with a 4×4 block at its own place: red in cat/, blue in dog/.
    const { encodePng } = await import('../src/core/viz/grid.js');
    const root = path.join(tempDir(), 'pets');
    const write = (rel: string, i: number) => {
      const rgba = new Uint8ClampedArray(16 * 16 * 4);
      for (let p = 0; p < 16 * 16; p++) rgba.set([0, 0, 0, 255], 4 * p);
      const colour = rel.includes('/cat/') ? [255, 0, 0, 255] : [0, 0, 255, 255];
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) rgba.set(colour, 4 * ((y + (i % 12)) * 16 + x + Math.floor(i / 12) * 4));
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), encodePng({ width: 16, height: 16, rgba }));
    };
    const counts = { 'train/cat': 5, 'train/dog': 4, 'test/cat': 2, 'test/dog': 1, 'val/cat': 2 };
    let i = 0;
    for (const [folder, n] of Object.entries(counts)) for (let k = 0; k < n; k++) write(`${folder}/${k}.png`, i++);
    write('stray.png', i++); // outside train/ and test/: left out, as the CLI leaves it

    const { page, errors } = await open(`${url}/?model=ae&latent=2&epochs=1&batchSize=4`);
    await waitStatus(page, 'ready');
    await page.selectOption('[data-testid=image-size]', '16');
    await page.setInputFiles('[data-testid=data-folder]', root);
    await page.waitForFunction(() => (document.querySelector('#form [name=dataset]') as HTMLSelectElement).value === 'upload');
    expect(await page.locator('#status-detail').textContent()).toBe('data: 12 images 16×16×3, 2 classes (cat, dog); 9 train, 3 test from train/ and test/');

    // What training reads in the worker, against what the CLI reads of the same folder.
    const worker = page.workers().find((w) => /\/worker-[\w-]+\.js$/.test(w.url()))!;
    const inPage = await worker.evaluate(async () => {
      type Lib = Pick<typeof import('../src/browser.js'), 'loadDataset' | 'gatherRows'>;
      const L = (self as unknown as { latentkitWorker: Lib }).latentkitWorker;
      const out: Record<string, { n: number; classNames?: string[]; labels: number[]; pixels: number[] }> = {};
      for (const split of ['train', 'test'] as const) {
        const ds = await L.loadDataset('upload', { split });
        const rows = Array.from({ length: ds.n }, (_, r) => r);
        out[split] = { n: ds.n, classNames: ds.classNames, labels: Array.from(ds.labels), pixels: Array.from(L.gatherRows(ds, rows), (v) => Math.round(v * 255)) };
      }
      return out;
    });
    for (const split of ['train', 'test'] as const) {
      const cliSet = await loadDataset(`images:${root}`, { split, cacheDir: tempDir() });
      expect(inPage[split]!.n).toBe(split === 'train' ? 9 : 3);
      expect(inPage[split]!.classNames).toEqual(['cat', 'dog']);
      expect(cliSet.classNames).toEqual(['cat', 'dog']);
      expect(inPage[split]!.labels).toEqual(Array.from(cliSet.labels));
      expect(inPage[split]!.labels).toEqual(cliSet.sources!.map((rel) => (rel.includes('/cat/') ? 0 : 1)));
      expect(inPage[split]!.pixels).toEqual(Array.from(pixelRange(cliSet), (v) => Math.round(v * 255)));
    }

    await page.locator('[data-testid=train]').click();
    await waitStatus(page, 'done');
    expect(Number(await text(page, 'test-loss'))).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('calls a running latentkit serve instead of its worker when told to (?service=URL)', async () => {
    const { startServer } = await import('../src/server/serve.js');
    const { serveRequest } = await import('../src/core/requests/serve.js');
    const { parseRequest } = await import('../src/core/requests/validate.js');
    const service = await startServer(parseRequest(serveRequest, { run: [path.join(runs, 'cli-vae')], port: 0, cors: new URL(url).origin }));
    try {
      const { page, errors } = await open(`${url}/?service=${encodeURIComponent(service.url)}`);
      await waitStatus(page, 'done');
      expect(await text(page, 'backend')).toBe(`service ${service.url}`);
      expect(await page.locator('[data-testid=samples]').evaluate((c) => (c as HTMLCanvasElement).width)).toBeGreaterThan(100);
      await drawStroke(page, [0.5, 0.2], [0.5, 0.8]);
      await page.waitForFunction(() => /^code \(/.test(document.querySelector('[data-testid=draw-score]')?.textContent ?? ''));
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await service.close();
    }
  }, 120_000);

  it('still trains when the wasm files are missing, on the cpu fallback', async () => {
    const page = await browser.newPage();
    await page.route('**/wasm/*.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.goto(`${url}/?dataset=sprites&model=vae&latent=2&epochs=1&limit=300&autostart=1`);
    await waitStatus(page, 'done');
    expect(await text(page, 'backend')).toBe('cpu');
    expect(Number(await text(page, 'test-loss'))).toBeGreaterThan(0);
    await page.close();
  }, 120_000);
});
