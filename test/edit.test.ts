// latentkit edit: attribute specs and vectors against hand-computed answers, then on a small sprites VAE
// (the "scale" vector must grow the drawn shape, measured on the pixels) and through the built CLI.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { attributeVector, drawnArea, editExamples, editImage, findAttribute, median, parseAlphas, parseAttributeSpec, parseAttributeSpecs, shiftCodes, splitValues } from '../src/core/apps/edit/index.js';
import { disposeBatch, makeBatch } from '../src/core/data/batches.js';
import { loadDataset } from '../src/core/data/load.js';
import type { Dataset } from '../src/core/data/types.js';
import { UsageError } from '../src/core/errors.js';
import { getModelDefinition } from '../src/core/models/registry.js';
import type { Autoencoder } from '../src/core/models/types.js';
import { mulberry32, Rng } from '../src/core/random.js';
import { trainRun } from '../src/node/run/train-run.js';
import { cli, readPicture, setup, tempDir } from './helpers.js';
import { floatPixels, pixelRange } from '../src/core/data/pixels.js';

/** A 4-example, 1×2×1 dataset with labels, factors and (optionally) a csv table. */
function tinyDataset(extra: Partial<Dataset> = {}): Dataset {
  return {
    name: 'tiny',
    split: 'test',
    n: 4,
    shape: [1, 2, 1],
    pixels: floatPixels(new Float32Array(8)),
    labels: Int32Array.from([0, 1, 1, 0]),
    numClasses: 3,
    ...extra,
  };
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a UsageError');
}

describe('attribute specs and vectors', () => {
  it('parses label, factor and column specs and refuses anything else in one line', () => {
    expect(parseAttributeSpec('label:3')).toEqual({ kind: 'label', label: 3 });
    expect(parseAttributeSpec('factor:scale')).toEqual({ kind: 'factor', name: 'scale' });
    expect(parseAttributeSpec('column:smoker')).toEqual({ kind: 'column', name: 'smoker' });
    expect(parseAttributeSpec('Smiling')).toEqual({ kind: 'name', name: 'Smiling' });
    expect(parseAttributeSpecs('Smiling, label:2')).toEqual([
      { kind: 'name', name: 'Smiling' },
      { kind: 'label', label: 2 },
    ]);
    expect(usageMessage(() => parseAttributeSpecs('Smiling,,x'))).toMatch(/empty attribute/);
    expect(usageMessage(() => parseAttributeSpec(' '))).toMatch(/label:L, factor:NAME/);
    expect(usageMessage(() => parseAttributeSpec('label:x'))).toMatch(/integer/);
    expect(usageMessage(() => parseAttributeSpec('colour:red'))).toMatch(/unknown kind 'colour'/);
    expect(usageMessage(() => parseAttributeSpec('factor:'))).toMatch(/not a valid attribute/);
  });

  it('parses α lists, negatives included', () => {
    expect(parseAlphas('-2,-1,0,1,2')).toEqual([-2, -1, 0, 1, 2]);
    expect(parseAlphas('0.5')).toEqual([0.5]);
    expect(usageMessage(() => parseAlphas('1,,2'))).toMatch(/^alpha must be numbers/);
    expect(usageMessage(() => parseAlphas('a'))).toMatch(/^alpha must be numbers/);
  });

  it('splits at the median (strictly above = has it), takes 0/1 values as they are, NaN as unknown', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2, NaN])).toBe(2.5);
    expect(Array.from(splitValues([5, 1, 3, 2, 4], 'x').mask)).toEqual([1, 0, 0, 0, 1]);
    const binary = splitValues([0, 1, 1, 0, NaN], 'y');
    expect(Array.from(binary.mask)).toEqual([0, 1, 1, 0, -1]);
    expect(binary.rule).toBe('y = 1');
  });

  it('v is mean(z | attribute) − mean(z | not), unknown rows left out (hand-computed)', () => {
    // With: (1, 2), (3, 4) -> mean (2, 3). Without: (0, 0), (2, −2) -> mean (1, −1). Unknown: (100, 100).
    const codes = [1, 2, 0, 0, 3, 4, 2, -2, 100, 100];
    const v = attributeVector(codes, 2, Int8Array.from([1, 0, 1, 0, -1]));
    expect(Array.from(v.vector)).toEqual([1, 4]);
    expect(v.norm).toBeCloseTo(Math.sqrt(17), 12);
    expect([v.positives, v.negatives]).toEqual([2, 2]);
  });

  it('shifts every code by α·v, one block per α', () => {
    const out = shiftCodes([1, 2, 3, 4], 2, [10, -1], [0, 2]);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 21, 0, 23, 2]);
  });

  it('counts values above 0.5 per image', () => {
    expect(Array.from(drawnArea([0.6, 0.5, 0.2, 1, 0.51, 0.9], 3))).toEqual([1, 3]);
  });

  it('finds label and factor attributes; refuses what the dataset lacks or an empty group', () => {
    const ds = tinyDataset({ factors: { names: ['scale', 'x'], values: Float32Array.from([0.5, 0, 0.9, 0, 0.6, 0, 0.8, 0]) } });
    expect(Array.from(findAttribute(ds, { kind: 'label', label: 1 }).mask)).toEqual([0, 1, 1, 0]);
    // Median of 0.5, 0.9, 0.6, 0.8 is 0.7.
    const scale = findAttribute(ds, { kind: 'factor', name: 'scale' });
    expect(Array.from(scale.mask)).toEqual([0, 1, 0, 1]);
    expect(scale.rule).toBe('factor scale > 0.7 (its median)');
    expect(usageMessage(() => findAttribute(ds, { kind: 'label', label: 2 }))).toMatch(/no example has it/);
    expect(usageMessage(() => findAttribute(ds, { kind: 'label', label: 7 }))).toMatch(/labels 0 to 2/);
    expect(usageMessage(() => findAttribute(ds, { kind: 'factor', name: 'colour' }))).toMatch(/no factor 'colour'; its factors are scale, x/);
    // Every x is 0: a 0/1 column with no example at 1.
    expect(usageMessage(() => findAttribute(ds, { kind: 'factor', name: 'x' }))).toMatch(/no example has it/);
    expect(usageMessage(() => findAttribute(tinyDataset(), { kind: 'factor', name: 'scale' }))).toMatch(/no ground-truth factors/);
    expect(usageMessage(() => findAttribute(ds, { kind: 'column', name: 'age' }))).toMatch(/needs a csv dataset/);
    // A bare name is the factor of that name.
    expect(findAttribute(ds, { kind: 'name', name: 'scale' }).mask).toEqual(scale.mask);
    expect(usageMessage(() => findAttribute(ds, { kind: 'name', name: 'Smiling' }))).toBe("attribute 'Smiling' is not an attribute of tiny; its attributes are scale, x");
  });

  it('finds csv columns in raw units (scaling undone), the label column too, and skips missing values', () => {
    // Two feature columns, standard-scaled: smoker (0/1, offset 0.5, scale 0.5) and age (offset 40, scale 10).
    const raw = [
      [1, 30],
      [0, 50],
      [1, 60],
      [0, 20],
    ];
    const images = Float32Array.from(raw.flat().map((v, k) => (k % 2 === 0 ? (v - 0.5) / 0.5 : (v - 40) / 10)));
    const missing = Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 0]);
    const table = { columns: ['smoker', 'age'], labelColumn: 'group', missing, scaler: { kind: 'standard' as const, offset: [0.5, 40], scale: [0.5, 10], mean: [0.5, 40] } };
    const ds = tinyDataset({ pixels: floatPixels(images), table });
    expect(Array.from(findAttribute(ds, { kind: 'column', name: 'smoker' }).mask)).toEqual([1, 0, 1, 0]);
    // Ages 30, (missing), 60, 20: median 30, so only 60 is above it.
    const age = findAttribute(ds, { kind: 'column', name: 'age' });
    expect(Array.from(age.mask)).toEqual([0, -1, 1, 0]);
    expect(age.rule).toBe('column age > 30 (its median)');
    // The label column holds labels 0, 1, 1, 0: a 0/1 column.
    expect(Array.from(findAttribute(ds, { kind: 'column', name: 'group' }).mask)).toEqual([0, 1, 1, 0]);
    expect(usageMessage(() => findAttribute(ds, { kind: 'column', name: 'height' }))).toMatch(/the columns are smoker, age, group/);
    // Text labels become classes in sorted order; the rule names the values.
    const named = findAttribute({ ...ds, classNames: ['no', 'yes'] }, { kind: 'column', name: 'group' });
    expect(named.rule).toBe("column group is 'yes'");
    const three = findAttribute({ ...ds, labels: Int32Array.from([0, 1, 2, 2]), classNames: ['a', 'b', 'c'] }, { kind: 'column', name: 'group' });
    expect(Array.from(three.mask)).toEqual([0, 0, 1, 1]);
    expect(three.rule).toBe("column group is 'c'");
  });
});

describe('edit on a small sprites VAE', () => {
  let model: Autoencoder;
  let runDir: string;
  let testSet: Dataset;

  beforeAll(async () => {
    await setup();
    runDir = path.join(tempDir(), 'sprites-vae');
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 2000 });
    testSet = await loadDataset('sprites', { split: 'test', limit: 600 });
    const settings = { epochs: 2, batchSize: 32, lr: 5e-3, seed: 0 };
    const trained = await trainRun({ model: 'vae', hidden: [64], latent: 4, dataset: 'sprites', backend: 'wasm', limit: trainSet.n, workers: 1, ...settings }, { out: runDir, testLimit: 200 });
    model = trained.model;
  }, 120_000);

  it('α = 0 decodes to the plain reconstruction, and the call leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const result = editExamples(model, testSet, { attribute: 'factor:scale', alphas: [0, 1], n: 5, pick: 'first' });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.examples).toEqual([0, 1, 2, 3, 4]);
    const batch = makeBatch(testSet, null, 0, 5);
    const recon = tf.tidy(() => model.decode(model.encode(batch)).dataSync() as Float32Array);
    disposeBatch(batch);
    const dim = 28 * 28;
    for (let p = 0; p < 5 * dim; p++) expect(result.edited[p]).toBeCloseTo(recon[p], 5);
    // The α = 1 row differs from it: v is not zero.
    expect(result.norm).toBeGreaterThan(0.1);
    expect(Math.max(...result.edited.subarray(5 * dim).map((v, p) => Math.abs(v - recon[p])))).toBeGreaterThan(0.1);
  });

  it('moving along factor:scale grows the drawn shape (pixels > 0.5), by about the true size gap per unit α', () => {
    const alphas = [-2, -1, 0, 1, 2];
    const result = editExamples(model, testSet, { attribute: 'factor:scale', alphas, n: testSet.n, pick: 'first' });
    const area = result.measure!.perAlpha;
    for (let a = 1; a < alphas.length; a++) expect(area[a], `area at α=${alphas[a]} vs ${alphas[a - 1]}: ${area}`).toBeGreaterThan(area[a - 1]);
    // The independent yardstick: the gap in mean drawn area between the true sprites above and below the median scale.
    const mask = findAttribute(testSet, { kind: 'factor', name: 'scale' }).mask;
    const trueArea = drawnArea(pixelRange(testSet), 28 * 28);
    const meanOf = (group: number) => trueArea.filter((_, i) => mask[i] === group).reduce((s, x) => s + x, 0) / mask.filter((m) => m === group).length;
    const gap = meanOf(1) - meanOf(0);
    expect(result.measure!.data.with).toBeCloseTo(meanOf(1), 9);
    expect(result.measure!.data.without).toBeCloseTo(meanOf(0), 9);
    // v carries a code from the small-half mean to the large-half mean, so an ideal decoder adds `gap` pixels
    // per unit α (measured on a 10-epoch run: 0.9·gap). This 2-epoch model, seed 0, gave area
    // 29.7, 48.5, 79.3, 120.4, 151.0 for α = −2..2 with gap 54: +1.3·gap from α = 0 to 2. The bars are gap and,
    // since a shape cannot shrink below nothing, 0.4·min(2·gap, area at α = 0) for the way down (measured 1.25×).
    expect(area[4] - area[2]).toBeGreaterThan(gap);
    expect(area[2] - area[0]).toBeGreaterThan(0.4 * Math.min(2 * gap, area[2]));
  });

  it('adds the vectors of several attributes, and edits the examples that have none of them', () => {
    const scale = findAttribute(testSet, { kind: 'factor', name: 'scale' });
    const square = findAttribute(testSet, { kind: 'label', label: 0 });
    const both = editExamples(model, testSet, { attribute: 'scale,label:0', alphas: [1], n: 4 });
    const codes = tf.tidy(() => model.encode(makeBatch(testSet, null, 0, testSet.n)).dataSync() as Float32Array);
    const expected = attributeVector(codes, 4, scale.mask).vector.map((v, d) => v + attributeVector(codes, 4, square.mask).vector[d]!);
    both.vector.forEach((v, d) => expect(v).toBeCloseTo(expected[d]!, 4));
    expect(both.attribute).toBe('scale,label:0');
    expect(both.rule).toBe(`${scale.rule} and ${square.rule}`);
    for (const i of both.examples) expect([scale.mask[i], square.mask[i]]).toEqual([0, 0]);
  });

  it('decodes a conditional model with each example its own label', () => {
    const definition = getModelDefinition('cvae');
    const config = definition.resolveConfig({ hidden: [16], latent: 3 }, { shape: [28, 28, 1], numClasses: 4 });
    const cvae = definition.create(config, new Rng(1));
    try {
      const result = editExamples(cvae, testSet, { attribute: 'label:0', alphas: [0], n: 6 });
      const batch = makeBatch(testSet, result.examples, 0, 6);
      const recon = tf.tidy(() => cvae.decode(cvae.encode(batch), batch.labels).dataSync() as Float32Array);
      disposeBatch(batch);
      expect(new Set(result.examples.map((i) => testSet.labels[i])).size).toBeGreaterThan(1);
      for (let p = 0; p < recon.length; p++) expect(result.edited[p]).toBeCloseTo(recon[p], 5);
    } finally {
      cvae.dispose();
    }
  });

  it('draws the originals above a row per α', () => {
    const result = editExamples(model, testSet, { attribute: 'label:2', alphas: [-1, 0, 1], n: 4 });
    expect(result.examples.every((i) => testSet.labels[i] !== 2)).toBe(true);
    const png = readPicture(editImage(result, testSet.shape));
    expect([png.width, png.height]).toEqual([4 * 30 + 2, 4 * 30 + 2]);
  });

  it('CLI: writes the picture, prints |v|, counts and areas (--json), and exits 2 on a bad attribute', () => {
    expect(fs.existsSync(path.resolve(__dirname, '../dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    const cwd = path.dirname(runDir);
    const args = ['edit', '--run', runDir, '--limit', '400', '--attribute', 'factor:scale', '--alpha', '-2,0,2', '--n', '6', '--out', 'edit.png', '--json'];
    const r = cli(args, cwd);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ attribute: 'factor:scale', alphas: [-2, 0, 2], positives: 200, negatives: 200, out: 'edit.png' });
    expect(json.vector).toHaveLength(4);
    expect(json.norm).toBeCloseTo(Math.hypot(...json.vector), 9);
    expect(json.measure.perAlpha[2]).toBeGreaterThan(json.measure.perAlpha[0]);
    const png = PNG.sync.read(fs.readFileSync(path.join(cwd, 'edit.png')));
    expect([png.width, png.height]).toEqual([6 * 30 + 2, 4 * 30 + 2]);

    const text = cli(args.filter((a) => a !== '--json'), cwd);
    expect(text.stdout).toMatch(/\|v\| = \d/);
    for (const [bad, message] of [
      ['factor:colour', /no factor 'colour'/],
      ['size', /'size' is not an attribute of sprites; its attributes are shape, scale/],
    ] as const) {
      const e = cli(['edit', '--run', runDir, '--limit', '50', '--attribute', bad, '--out', 'bad.png'], cwd);
      expect(e.code).toBe(2);
      expect(e.stderr).toMatch(message);
      expect(e.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.existsSync(path.join(cwd, 'bad.png'))).toBe(false);
  });
});

describe('edit on a csv table', () => {
  it('CLI: column:flag (0/1) and column:size (median) move their own decoded column', () => {
    // 400 rows: flag ~ Bernoulli(0.4), size ~ U(4, 16); a, b follow them, c is noise; label column group.
    const rand = mulberry32(3);
    const rows = ['a,b,c,flag,size,group'];
    let flags = 0;
    for (let i = 0; i < 400; i++) {
      const flag = rand() < 0.4 ? 1 : 0;
      const size = 4 + 12 * rand();
      flags += flag;
      rows.push([0.5 * size + 0.3 * rand(), 3 * flag + 0.5 * rand(), rand(), flag, size.toFixed(3), flag ? 'yes' : 'no'].join(','));
    }
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'data.csv'), `${rows.join('\n')}\n`);
    const trained = cli(['train', '--dataset', 'csv:data.csv', '--label-column', 'group', '--model', 'ae', '--latent', '2', '--hidden', '32', '--epochs', '40', '--batch-size', '32', '--lr', '0.003', '--workers', '1', '--quiet', '--out', 'run'], cwd);
    expect(trained.code, trained.stderr).toBe(0);

    const flag = cli(['edit', '--run', 'run', '--attribute', 'column:flag', '--alpha', '0,1', '--out', 'flag.png', '--json'], cwd);
    expect(flag.code, flag.stderr).toBe(0);
    const f = JSON.parse(flag.stdout);
    expect(f).toMatchObject({ rule: 'column flag = 1', positives: flags, negatives: 400 - flags });
    expect(f.measure.what).toBe('column flag (raw units)');
    expect(f.measure.data).toEqual({ with: expect.closeTo(1, 4), without: expect.closeTo(0, 4) });
    // Rows without the flag decode near 0; one step of v should carry them most of the way to 1
    // (measured here: 0.013 -> 0.993).
    expect(f.measure.perAlpha[1] - f.measure.perAlpha[0]).toBeGreaterThan(0.5);

    const size = JSON.parse(cli(['edit', '--run', 'run', '--attribute', 'column:size', '--alpha', '0,1', '--out', 'size.png', '--json'], cwd).stdout);
    expect(size.positives + size.negatives).toBe(400);
    const gap = size.measure.data.with - size.measure.data.without;
    // Uniform on [4, 16] split at its median: the halves' means are about 6 apart (measured 5.87; one step
    // of v moved the small half's decoded size by 5.60, 7.83 -> 13.43).
    expect(gap).toBeGreaterThan(5);
    expect(size.measure.perAlpha[1] - size.measure.perAlpha[0]).toBeGreaterThan(0.5 * gap);
    const label = JSON.parse(cli(['edit', '--run', 'run', '--attribute', 'column:group', '--alpha', '1', '--out', 'group.png', '--json'], cwd).stdout);
    expect(label).toMatchObject({ rule: "column group is 'yes'", positives: flags, measure: null });
  }, 60_000);
});
