// latentkit interpolate: the decoded path's ends are the two reconstructions, great circles keep the norm,
// the picture holds the originals at its ends, and the built CLI refuses out-of-range examples.
// (lerp/slerp themselves are tested in test/pictures.test.ts.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { interpolateExamples, interpolateImage, meanStepChange } from '../src/core/apps/interpolate/index.js';
import { disposeBatch, makeBatch } from '../src/core/data/batches.js';
import { loadDataset } from '../src/core/data/load.js';
import type { Dataset } from '../src/core/data/types.js';
import { UsageError } from '../src/core/errors.js';
import type { Autoencoder } from '../src/core/models/types.js';
import { trainRun } from '../src/node/run/train-run.js';
import { cli, readPicture, setup, tempDir } from './helpers.js';
import { examplePixels } from '../src/core/data/pixels.js';

const DIM = 28 * 28;

/** Decode(encode(x)) of rows of ds, [rows, dim]. */
function reconstruct(model: Autoencoder, ds: Dataset, rows: number[]): Float32Array {
  const batch = makeBatch(ds, rows, 0, rows.length);
  try {
    return tf.tidy(() => model.decode(model.encode(batch)).dataSync() as Float32Array);
  } finally {
    disposeBatch(batch);
  }
}

describe('meanStepChange', () => {
  it('averages |x_{k+1} − x_k| over the values (hand-computed)', () => {
    // Images (0, 0), (1, 0.5), (1, 1): changes (1 + 0.5)/2 and (0 + 0.5)/2.
    expect(meanStepChange(Float32Array.from([0, 0, 1, 0.5, 1, 1]), 2)).toEqual([0.75, 0.25]);
  });
});

describe('interpolate on a small sprites VAE', () => {
  let model: Autoencoder;
  let runDir: string;
  let ds: Dataset;

  beforeAll(async () => {
    await setup();
    runDir = path.join(tempDir(), 'sprites-vae');
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 512 });
    ds = await loadDataset('sprites', { split: 'test', limit: 20 });
    const settings = { epochs: 1, batchSize: 64, lr: 3e-3, seed: 0 };
    const trained = await trainRun({ model: 'vae', hidden: [32], latent: 4, dataset: 'sprites', backend: 'wasm', limit: trainSet.n, workers: 1, ...settings }, { out: runDir, testLimit: 20 });
    model = trained.model;
  }, 60_000);

  it('t = 0 and t = 1 are exactly the two codes and decode to the two reconstructions; no tensor leaks', () => {
    const before = tf.memory().numTensors;
    for (const kind of ['line', 'great-circle'] as const) {
      const r = interpolateExamples(model, ds, { from: 3, to: 7, steps: 6, path: kind });
      const latent = model.config.latent;
      expect(Array.from(r.codes.subarray(0, latent))).toEqual(r.codeFrom);
      expect(Array.from(r.codes.subarray(5 * latent))).toEqual(r.codeTo);
      const recon = reconstruct(model, ds, [3, 7]);
      for (let p = 0; p < DIM; p++) {
        expect(r.images[p]).toBeCloseTo(recon[p], 5);
        expect(r.images[5 * DIM + p]).toBeCloseTo(recon[DIM + p], 5);
      }
      expect(r.stepChange).toHaveLength(5);
      expect(r.pathNorms[0]).toBeCloseTo(r.normFrom, 6);
      expect(r.pathNorms[5]).toBeCloseTo(r.normTo, 6);
      expect(r.pathNorms[2]).toBeCloseTo(Math.hypot(...r.codes.subarray(2 * latent, 3 * latent)), 6);
      expect(r.distance).toBeCloseTo(Math.hypot(...r.codeFrom.map((a, i) => r.codeTo[i] - a)), 9);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the line passes through the midpoint of the codes', () => {
    const r = interpolateExamples(model, ds, { from: 0, to: 1, steps: 3 });
    const latent = model.config.latent;
    for (let d = 0; d < latent; d++) expect(r.codes[latent + d]).toBeCloseTo((r.codeFrom[d] + r.codeTo[d]) / 2, 6);
  });

  it('the picture is one row: original, decoded path, original', () => {
    const r = interpolateExamples(model, ds, { from: 2, to: 5, steps: 4 });
    const png = readPicture(interpolateImage(r, ds));
    expect([png.width, png.height]).toEqual([6 * 30 + 2, 30 + 2]);
    // The first cell (pixels 2..29) holds example 2 itself: compare its grey levels.
    const example = examplePixels(ds, 2);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) expect(png.data[((y + 2) * png.width + x + 2) * 4]).toBe(Math.round(255 * example[y * 28 + x]));
    }
  });

  it('refuses out-of-range examples and bad steps with a UsageError', () => {
    expect(() => interpolateExamples(model, ds, { from: 20 })).toThrow(UsageError);
    expect(() => interpolateExamples(model, ds, { to: -1 })).toThrow(/^to -1 is out of range/);
    expect(() => interpolateExamples(model, ds, { steps: 1 })).toThrow(/^steps/);
  });

  it('CLI: picture and --json summary; --from/--to out of range exit 2', () => {
    expect(fs.existsSync(path.resolve(__dirname, '../dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    const cwd = path.dirname(runDir);
    const r = cli(['interpolate', '--run', runDir, '--from', '4', '--to', '9', '--steps', '5', '--path', 'great-circle', '--out', 'path.png', '--json'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ from: 4, to: 9, steps: 5, path: 'great-circle', out: 'path.png' });
    expect(json.stepChange).toHaveLength(4);
    // The same codes as the library gives for the same run and examples.
    const lib = interpolateExamples(model, ds, { from: 4, to: 9, steps: 5, path: 'great-circle' });
    json.codeFrom.forEach((z: number, i: number) => expect(z).toBeCloseTo(lib.codeFrom[i], 4));
    expect(PNG.sync.read(fs.readFileSync(path.join(cwd, 'path.png'))).width).toBe(7 * 30 + 2);

    const far = cli(['interpolate', '--run', runDir, '--from', '0', '--to', '5000', '--out', 'far.png'], cwd);
    expect(far.code).toBe(2);
    expect(far.stderr.trim()).toMatch(/--to 5000 is out of range: sprites test has 2000 examples/);
    const negative = cli(['interpolate', '--run', runDir, '--from', '-1', '--out', 'neg.png'], cwd);
    expect(negative.code).toBe(2);
    expect(negative.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(path.join(cwd, 'far.png')) || fs.existsSync(path.join(cwd, 'neg.png'))).toBe(false);
  });
});
