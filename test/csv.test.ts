// End to end: `latentkit` on a CSV table (csv:FILE), built binary. `npm test` builds first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCsvSplits } from '../src/core/data/csv/table.js';
import { dataForRun } from '../src/core/data/spec.js';
import type { RunConfig } from '../src/core/run/config.js';
import { fileTextSource } from '../src/node/files/text.js';
import '../src/node/data/datasets.js';
import { mulberry32 } from '../src/core/random.js';
import { fitPca } from '../src/core/eval/metrics/pca.js';
import { getModelDefinition } from '../src/core/models/registry.js';
import type { DataInfo } from '../src/core/models/types.js';
import { tempDir, cli } from './helpers.js';
import { pixelRange } from '../src/core/data/pixels.js';

/**
 * `rows` rows of an id, 8 columns x = (A z + ε) · unit (z ~ N(0, I₂), ε ~ N(0, 0.1²),
 * the columns in units from 0.01 to 1000) and a text label y: 'pos' when z₁ > 0.
 */
function syntheticTable(rows: number, seed = 7): string {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const a = Array.from({ length: 8 }, () => [normal(), normal()]);
  const units = [1, 10, 100, 0.1, 1, 1000, 5, 0.01];
  const lines = [`id,${units.map((_, j) => `c${j + 1}`).join(',')},y`];
  for (let i = 0; i < rows; i++) {
    const z = [normal(), normal()];
    const x = a.map((aj, j) => ((aj[0]! * z[0]! + aj[1]! * z[1]! + 0.1 * normal()) * units[j]!).toPrecision(6));
    lines.push(`row${i},${x.join(',')},${z[0]! > 0 ? 'pos' : 'neg'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('latentkit on a CSV table', () => {
  let cwd: string;
  let file: string;

  beforeAll(() => {
    expect(fs.existsSync(path.resolve(__dirname, '../dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    cwd = tempDir();
    file = path.join(cwd, 'table.csv');
    fs.writeFileSync(file, syntheticTable(2000));
  });

  it('an AE with latent 2 learns the 2-D table about as well as 2-component PCA, and encode reads the file with the run schema', async () => {
    const r = cli(['train', '--model', 'ae', '--dataset', 'csv:table.csv', '--label-column', 'y', '--ignore-columns', 'id', '--latent', '2', '--hidden', '32', '--epochs', '15', '--batch-size', '64', '--workers', '1', '--out', 'ae', '--quiet'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(cwd, 'ae/config.json'), 'utf8'));
    expect(config.model.loss).toBe('mse'); // standardized columns are real numbers, not [0, 1]
    expect(config.data).toMatchObject({ dataset: 'csv:table.csv', shape: [1, 8, 1], numClasses: 2, classNames: ['neg', 'pos'], trainExamples: 1800 });
    expect(config.data.table).toMatchObject({ columns: ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'], labelColumn: 'y', ignoreColumns: ['id'], labelValues: ['neg', 'pos'] });
    expect(config.data.table.scaler.kind).toBe('standard');

    // The same split and scaling through the library: the best rank-2 linear reconstruction.
    const { trainSet, testSet } = await loadCsvSplits(`csv:${file}`, fileTextSource(file), { labelColumn: 'y', ignoreColumns: ['id'] });
    const x = pixelRange(testSet);
    const pca = fitPca(pixelRange(trainSet), trainSet.n, 8, 2);
    const back = pca.reconstruct(pca.project(x, testSet.n), testSet.n);
    let pcaError = 0;
    back.forEach((v, i) => (pcaError += (v - x[i]!) ** 2));
    pcaError /= testSet.n;
    const metrics = fs.readFileSync(path.join(cwd, 'ae/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const aeError = metrics.at(-1).test_recon as number; // squared error summed over the 8 columns, per row
    // Each standardized row has total variance 8; what a 2-D code cannot explain is the small noise.
    expect(pcaError).toBeLessThan(0.05 * 8);
    if (process.env.LATENTKIT_TEST_VERBOSE) console.log(`csv AE test error ${aeError} vs PCA-2 ${pcaError}`);
    expect(aeError, `AE ${aeError} vs PCA ${pcaError}`).toBeLessThan(1.5 * pcaError);

    const enc = cli(['encode', '--run', 'ae', '--dataset', 'csv:table.csv', '--out', 'z.csv'], cwd);
    expect(enc.code, enc.stderr).toBe(0);
    const rows = fs.readFileSync(path.join(cwd, 'z.csv'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(2001); // every row of the file
    expect(rows[0]).toBe('label,z1,z2');
    const labels = rows.slice(1).map((l) => l.split(',')[0]);
    const truth = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => (l.endsWith('pos') ? '1' : '0'));
    expect(labels).toEqual(truth);

    // eval on a table: loss terms, no pixel metrics (PSNR/SSIM mean nothing for scaled columns).
    const ev = cli(['eval', '--run', 'ae', '--dataset', 'csv:table.csv', '--json'], cwd);
    expect(ev.code, ev.stderr).toBe(0);
    const e = JSON.parse(ev.stdout);
    expect(e.examples).toBe(2000);
    expect(e.ssim).toBeUndefined();
    expect(e.mse).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a file with bad rows, exit code 2, naming the lines', () => {
    const lines = syntheticTable(12).trim().split('\n');
    lines[6] = 'row5,1,2,3'; // line 7
    lines[11] = lines[11]!.replace(/,[^,]+,y?/, ',abc,'); // line 12: c1 is text
    fs.writeFileSync(path.join(cwd, 'bad.csv'), `${lines.join('\n')}\n`);
    const r = cli(['train', '--dataset', 'csv:bad.csv', '--label-column', 'y', '--ignore-columns', 'id', '--out', 'bad-run'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("line 7: 4 fields, expected 10; line 12: column 'c1' is 'abc', not a number");
    expect(fs.existsSync(path.join(cwd, 'bad-run'))).toBe(false);
  });

  it('the VAE defaults to a Gaussian decoder on standardized data, refuses Bernoulli, and --classes keeps one class', () => {
    const refused = cli(['train', '--dataset', 'csv:table.csv', '--ignore-columns', 'id,y', '--decoder', 'bernoulli', '--out', 'no'], cwd);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--decoder bernoulli needs data in \[0, 1\]/);
    const r = cli(['train', '--dataset', 'csv:table.csv', '--label-column', 'y', '--ignore-columns', 'id', '--classes', '1', '--epochs', '1', '--hidden', '16', '--latent', '2', '--out', 'vae', '--quiet'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(cwd, 'vae/config.json'), 'utf8'));
    expect(config.model.decoder).toBe('gaussian');
    expect(config.data.classes).toEqual([1]);
    const pos = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).filter((l, i) => (i + 1) % 10 !== 0 && l.endsWith('pos')).length;
    expect(config.data.trainExamples).toBe(pos);
    // Resuming reads the file with the saved schema (same columns, label mapping and scaler).
    const resumed = cli(['train', '--resume', 'vae', '--epochs', '2', '--quiet'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(fs.readFileSync(path.join(cwd, 'vae/metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(path.join(cwd, 'vae/config.json'), 'utf8')).data.table).toEqual(config.data.table);
  }, 120_000);

  it('--classes keeps one class of an image dataset too', () => {
    const r = cli(['train', '--dataset', 'sprites', '--classes', '2', '--limit', '60', '--epochs', '1', '--hidden', '16', '--latent', '2', '--out', 'one-class', '--quiet'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(cwd, 'one-class/config.json'), 'utf8'));
    expect(config.data).toMatchObject({ classes: [2], trainExamples: 60, limit: 60 });
    expect(config.data.table).toBeUndefined();
    expect(cli(['train', '--dataset', 'sprites', '--classes', '9', '--out', 'nine'], cwd).code).toBe(2); // sprites have 3 shapes
  }, 60_000);
});

describe('loss defaults for real-valued (standardized) tables', () => {
  const real: DataInfo = { shape: [1, 8, 1], numClasses: 1, domain: 'real' };
  const unit: DataInfo = { shape: [1, 8, 1], numClasses: 1 };
  const resolve = async (model: string, input: Record<string, unknown>, data: DataInfo) => {
    const definition = getModelDefinition(model);
    return definition.resolveConfig({ ...definition.exampleInput, latent: 2, ...input }, data) as unknown as Record<string, unknown>;
  };

  it('the AE family defaults to MSE and refuses BCE on real data; [0, 1] data keeps BCE', async () => {
    for (const model of ['ae', 'dae', 'sae', 'cae']) expect((await resolve(model, {}, real)).loss, model).toBe('mse');
    expect((await resolve('ae', {}, unit)).loss).toBe('bce');
    await expect(resolve('ae', { loss: 'bce' }, real)).rejects.toThrow(/loss bce needs data in \[0, 1\]/);
  });

  it('the VAE family defaults to a Gaussian decoder and refuses Bernoulli and --recon-weight on real data', async () => {
    for (const model of ['vae', 'cvae']) expect((await resolve(model, {}, { ...real, numClasses: 2 })).decoder, model).toBe('gaussian');
    expect((await resolve('vae', {}, unit)).decoder).toBe('bernoulli');
    await expect(resolve('vae', { decoder: 'bernoulli' }, real)).rejects.toThrow(/decoder bernoulli needs data in \[0, 1\]/);
    await expect(resolve('vae', { reconWeight: 100 }, real)).rejects.toThrow(/reconWeight/);
  });
});

describe('dataForRun (the data a run is applied to) on csv:FILE', () => {
  it("reads every row with the run's schema, takes --classes and another --label-column, and refuses runs without a table", async () => {
    const dir = tempDir();
    const file = path.join(dir, 'rows.csv');
    const lines = ['id,c1,c2,y,flag'];
    for (let i = 0; i < 30; i++) lines.push(`r${i},${i},${i % 4},${i % 3 === 0 ? 'b' : 'a'},${i % 5 === 0 ? 1 : 0}`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const { schema } = await loadCsvSplits(`csv:${file}`, fileTextSource(file), { labelColumn: 'y', ignoreColumns: ['id', 'flag'] });
    const config = { data: { dataset: `csv:${file}`, shape: [1, 2, 1], numClasses: 2, table: schema }, model: { inputShape: [1, 2, 1] } } as unknown as RunConfig;

    const all = await dataForRun(config, {});
    expect(all.n).toBe(30);
    expect(all.classNames).toEqual(['a', 'b']);
    const bs = await dataForRun(config, { classes: [1] });
    expect(bs.n).toBe(10); // rows 0, 3, ..., 27
    expect(Array.from(bs.table!.lines!.slice(0, 3))).toEqual([2, 5, 8]);
    const flagged = await dataForRun(config, { labelColumn: 'flag' });
    expect(Array.from(flagged.labels).filter((l) => l === 1)).toHaveLength(6);
    expect(flagged.classNames).toBeUndefined();
    await expect(dataForRun(config, { labelColumn: 'c1' })).rejects.toThrow(/feature column/);

    const imageRun = { data: { dataset: 'sprites', numClasses: 3 }, model: { inputShape: [28, 28, 1] } } as unknown as RunConfig;
    await expect(dataForRun(imageRun, { dataset: `csv:${file}` })).rejects.toThrow(/trained on sprites, not a CSV table/);
  });
});
