// Colour end to end: a tiny conv VAE on the 64×64×3 `shapes` set through the built CLI and every image
// command (RGB PNGs out), and latent edits along the shapes' factors measured on the decoded pixels.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { editExamples } from '../src/core/apps/edit/index.js';
import { BACKGROUND_SV, generateShapes, OBJECT_SV } from '../src/core/data/shapes.js';
import { getModelDefinition } from '../src/core/models/registry.js';
import { Rng } from '../src/core/random.js';
import { train } from '../src/core/train/trainer.js';
import { cli, setup, tempDir } from './helpers.js';
import { pixelRange } from '../src/core/data/pixels.js';

/** An image PNG's colour type (2 = RGB), size, and the fraction of clearly coloured pixels (channels apart by > 40 of 255). */
function readPng(file: string): { colourType: number; width: number; height: number; coloured: number } {
  const bytes = fs.readFileSync(file);
  const png = decode(bytes);
  const c = png.channels;
  let coloured = 0;
  for (let p = 0; p < png.width * png.height; p++) {
    const rgb = [png.data[c * p]!, png.data[c * p + 1]!, png.data[c * p + 2]!];
    if (Math.max(...rgb) - Math.min(...rgb) > 40) coloured++;
  }
  return { colourType: bytes[25]!, width: png.width, height: png.height, coloured: coloured / (png.width * png.height) };
}

describe('latentkit on the colour shapes set', () => {
  let cwd: string;

  beforeAll(() => {
    cwd = tempDir();
    const trained = cli(
      ['train', '--dataset', 'shapes', '--limit', '64', '--arch', 'conv', '--conv-filters', '8,8,8,8', '--batch-norm', '--dropout', '0.1', '--hidden', '16', '--latent', '2', '--epochs', '1', '--batch-size', '32', '--workers', '1', '--out', 'run', '--quiet'],
      cwd,
    );
    expect(trained.code, trained.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(cwd, 'run/config.json'), 'utf8'));
    expect(config.data.shape).toEqual([64, 64, 3]);
    expect(config.model).toMatchObject({ arch: 'conv', convFilters: [8, 8, 8, 8], batchNorm: true, dropout: 0.1 });
  }, 120_000);

  it('every image command runs and writes RGB pictures; those showing data are in colour', () => {
    const pictures: [string, string[], boolean][] = [
      ['sample', ['sample', '--n', '4'], false],
      ['reconstruct', ['reconstruct', '--limit', '8', '--n', '8'], true],
      ['manifold', ['plot', 'manifold', '--grid', '3'], false],
      ['interpolate', ['interpolate', '--limit', '4', '--from', '0', '--to', '1', '--steps', '3'], true],
      ['edit', ['edit', '--limit', '64', '--attribute', 'factor:scale', '--n', '3', '--alpha', '-1,0,1'], true],
      ['denoise', ['denoise', '--limit', '4', '--corrupt', 'gaussian:0.2', '--n', '4'], true],
      ['impute', ['impute', '--limit', '4', '--mask', '0.3', '--n', '4', '--max-iter', '3'], true],
    ];
    for (const [name, args, showsData] of pictures) {
      const out = `${name}.png`;
      const r = cli([...args, '--run', 'run', '--out', out], cwd);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      const png = readPng(path.join(cwd, out));
      expect(png.colourType, name).toBe(2);
      if (showsData) expect(png.coloured, name).toBeGreaterThan(0.1);
    }
    // 8 originals above their 8 reconstructions: 64×64 tiles with 2 pixels of padding.
    expect(readPng(path.join(cwd, 'reconstruct.png'))).toMatchObject({ width: 8 * 64 + 9 * 2, height: 2 * 64 + 3 * 2 });
  }, 240_000);

  it('eval, the latent plot, search and the report work on colour data', () => {
    const evaluated = cli(['eval', '--run', 'run', '--limit', '16', '--json'], cwd);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/"recon"/);
    const plotted = cli(['plot', 'latent', '--run', 'run', '--limit', '32', '--out', 'latent.png'], cwd);
    expect(plotted.code, plotted.stderr).toBe(0);
    const indexed = cli(['search', 'index', '--run', 'run', '--split', 'train', '--limit', '64', '--json'], cwd);
    expect(indexed.code, indexed.stderr).toBe(0);
    const hits = cli(['search', 'query', '--run', 'run', '--split', 'train', '--query', '0,1', '--neighbors', '3', '--out', 'hits.png'], cwd);
    expect(hits.code, hits.stderr).toBe(0);
    expect(readPng(path.join(cwd, 'hits.png')).coloured).toBeGreaterThan(0.3);
    const report = cli(['report', '--run', 'run', '--limit', '16', '--out', 'report.html'], cwd);
    expect(report.code, report.stderr).toBe(0);
    const html = fs.readFileSync(path.join(cwd, 'report.html'), 'utf8');
    for (const section of ['Samples', 'Latent manifold', 'Reconstructions', 'Interpolation', 'PCA vs']) expect(html).toContain(section);
    // The reconstructions picture in the page is an RGB PNG with the data's colours.
    const reconstructions = /id="reconstructions"[\s\S]*?src="data:image\/png;base64,([^"]+)"/.exec(html);
    expect(reconstructions).not.toBeNull();
    const file = path.join(cwd, 'from-report.png');
    fs.writeFileSync(file, Buffer.from(reconstructions![1]!, 'base64'));
    expect(readPng(file)).toMatchObject({ colourType: 2 });
    expect(readPng(file).coloured).toBeGreaterThan(0.1);
  }, 240_000);

  it('workers > 1 is refused for batch normalisation, naming the field', () => {
    const r = cli(['train', '--dataset', 'shapes:16', '--limit', '8', '--arch', 'conv', '--batch-norm', '--epochs', '1', '--workers', '2', '--out', 'par', '--quiet'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/workers.*batch normalisation/);
  }, 60_000);
});

describe('latent edits on shapes:16 move the decoded pixels along the factor', () => {
  const size = 16;
  const dim = size * size * 3;
  const [, objectV] = OBJECT_SV;
  const [, backgroundV] = BACKGROUND_SV;

  /**
   * Object pixels of each image, from brightness: every pixel's largest
   * channel is the HSV value V, backgrounds' 0.45 and objects' 1, and a
   * blurred or antialiased pixel is a mix of the two; so (max − 0.45)/0.55
   * is its object coverage, whatever the hues.
   */
  function coverage(images: Float32Array, i: number): Float64Array {
    return Float64Array.from({ length: size * size }, (_, q) => {
      const at = i * dim + 3 * q;
      return (Math.max(images[at]!, images[at + 1]!, images[at + 2]!) - backgroundV) / (objectV - backgroundV);
    });
  }

  function meanOver(images: Float32Array, count: number, measure: (c: Float64Array) => number): number {
    let s = 0;
    for (let i = 0; i < count; i++) s += measure(coverage(images, i));
    return s / count;
  }

  const area = (c: Float64Array) => c.reduce((s, v) => s + v, 0);
  const centroidX = (c: Float64Array) => c.reduce((s, v, q) => s + Math.max(0, v) * ((q % size) + 0.5), 0) / c.reduce((s, v) => s + Math.max(0, v), 0) / size;

  it('scale grows the object; x moves it right', async () => {
    await setup('wasm');
    const trainSet = generateShapes({ split: 'train', n: 1024, size });
    const testSet = generateShapes({ split: 'test', n: 200, size });
    const def = getModelDefinition('vae');
    // The Keras book's weighting (r_loss_factor 10000 on the per-pixel MSE): with less, the KL term keeps the small objects out of the code.
    const settings = { arch: 'conv', convFilters: [16, 32], hidden: [64], latent: 8, activation: 'leaky-relu', batchNorm: true, reconWeight: 10000 };
    const vae = def.create(def.resolveConfig(settings, trainSet), new Rng(0));
    await train(vae, trainSet, testSet, { epochs: 5, batchSize: 32, lr: 5e-3, seed: 0 });
    const alphas = [-2, -1, 0, 1, 2];
    const n = 50;
    const perAlpha = (attribute: string, measure: (c: Float64Array) => number) => {
      const { edited } = editExamples(vae, testSet, { attribute, alphas, n, pick: 'first' });
      return alphas.map((_, a) => meanOver(edited.subarray(a * n * dim, (a + 1) * n * dim), n, measure));
    };
    const areas = perAlpha('factor:scale', area);
    for (let a = 1; a < alphas.length; a++) expect(areas[a], `object area per α: ${areas}`).toBeGreaterThan(areas[a - 1]!);
    // The yardstick: the true area gap between the larger and the smaller half of the scales. Measured (seed 0):
    // areas 12.8 … 31.2 for α = −2 … 2, so α 0 → 2 adds about 0.6 of the gap.
    const scales = Array.from({ length: testSet.n }, (_, i) => testSet.factors!.values[i * 7 + 3]!);
    const median = [...scales].sort((p, q) => p - q)[testSet.n >> 1]!;
    const x = pixelRange(testSet);
    const half = (large: boolean) => {
      const rows = scales.map((s, i) => ((s > median) === large ? i : -1)).filter((i) => i >= 0);
      return rows.reduce((s, i) => s + area(coverage(x, i)), 0) / rows.length;
    };
    const gap = half(true) - half(false);
    expect(gap).toBeGreaterThan(5);
    expect(areas[4]! - areas[2]!).toBeGreaterThan(0.3 * gap);
    const centres = perAlpha('factor:x', centroidX);
    for (let a = 1; a < alphas.length; a++) expect(centres[a], `object centre x per α: ${centres}`).toBeGreaterThan(centres[a - 1]!);
    vae.dispose();
  }, 120_000);
});
