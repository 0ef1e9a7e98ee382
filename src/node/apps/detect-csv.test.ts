import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup, tempDir } from '../../../test/helpers.js';
import type { TableSchema } from '../../core/data/csv/schema.js';
import { UsageError } from '../../core/errors.js';
import type { Autoencoder, Batch } from '../../core/models/types.js';
import { detectCsvFile } from './detect-csv.js';
import type { DetectorFile } from '../../core/apps/detect/detector.js';
import { parseAnomalyLabels, summarizeDetection } from '../../core/apps/detect/summary.js';

/** Reconstructs everything as 0, so the squared-error score of a row is Σ x² (identity scaling). */
const zeroModel = {
  config: { model: 'fake', arch: 'mlp', inputShape: [1, 2, 1], numClasses: 1, hidden: [], latent: 2, activation: 'linear' },
  encode: (batch: Batch) => tf.clone(batch.x),
  decode: (z: tf.Tensor2D) => tf.zerosLike(z),
} as unknown as Autoencoder;

const schema: TableSchema = { columns: ['a', 'b'], ignoreColumns: [], scaler: { kind: 'standard', offset: [0, 0], scale: [1, 1], mean: [0, 0] } };

const detector = {
  score: { kind: 'recon', samples: 1, seed: 0, measure: 'squared-error' },
  threshold: 4.5,
} as DetectorFile;

describe('detectCsvFile', () => {
  beforeAll(() => setup('cpu'));

  it('streams rows in batches: ids are file lines, scores Σ x², flags above the threshold, AUCs from a 0/1 column', async () => {
    const dir = tempDir();
    // scores: 1, 8, 0.25, 13, 2 → flagged 8 and 13 (threshold 4.5); outliers are exactly those two
    fs.writeFileSync(path.join(dir, 't.csv'), 'a,b,bad\n1,0,0\n2,2,1\n0.5,0,0\n2,3,1\n1,1,0\n');
    const out = path.join(dir, 'scores.csv');
    const before = tf.memory().numTensors;
    const summary = await detectCsvFile(zeroModel, path.join(dir, 't.csv'), schema, detector, { out, truth: { column: 'bad' }, batchRows: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(summary).toEqual({ examples: 5, flagged: 2, threshold: 4.5, anomalies: 2, rocAuc: 1, prAuc: 1 });
    expect(fs.readFileSync(out, 'utf8')).toBe('id,score,is_anomaly\n2,1,0\n3,8,1\n4,0.25,0\n5,13,1\n6,2,0\n');

    const limited = await detectCsvFile(zeroModel, path.join(dir, 't.csv'), schema, detector, { out, limit: 3, batchRows: 2 });
    expect(limited).toEqual({ examples: 3, flagged: 1, threshold: 4.5 });
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('scores a 1,000,000-row file with the JavaScript heap capped at 48 MB (streaming holds one batch)', () => {
    const dir = tempDir('latentkit-detect-big-');
    const file = path.join(dir, 'big.csv');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, 'a,b\n');
    const rows = 1_000_000;
    for (let start = 0; start < rows; start += 50_000) {
      const chunk: string[] = [];
      for (let i = start; i < start + 50_000; i++) chunk.push(`${i % 3},${i % 5 === 0 ? 1 : 0}\n`);
      fs.writeSync(fd, chunk.join(''));
    }
    fs.closeSync(fd);
    // A guard against collecting rows, scores or output as JavaScript values (a million parsed rows or
    // the whole output as one string do not fit under this cap next to TensorFlow.js; 32 MB is enough
    // to run, but only just). Typed arrays live outside the cap: the README's peak RSS covers those.
    const dist = path.resolve(__dirname, '../../../dist');
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import { initBackend } from '${dist}/index.js';
      import { detectCsvFile } from '${dist}/node/apps/detect-csv.js';
      await initBackend('cpu');
      const model = { config: { inputShape: [1, 2, 1] }, encode: (b) => tf.clone(b.x), decode: (z) => tf.zerosLike(z) };
      const schema = ${JSON.stringify(schema)};
      const detector = ${JSON.stringify(detector)};
      const before = tf.memory().numTensors;
      const summary = await detectCsvFile(model, '${file}', schema, detector, { out: '${path.join(dir, 'scores.csv')}' });
      console.log(JSON.stringify({ ...summary, leaked: tf.memory().numTensors - before }));`;
    const r = spawnSync(process.execPath, ['--max-old-space-size=48', '--input-type=module', '-e', script], { cwd: path.resolve(__dirname, '../../..'), encoding: 'utf8' });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    // Scores Σ x² are 0, 1, 4 (+1 when b = 1): only a = 2 with b = 1 passes 4.5, i.e. i % 3 = 2 and i % 5 = 0.
    const flagged = Array.from({ length: rows }, (_, i) => i % 3 === 2 && i % 5 === 0).filter(Boolean).length;
    expect(JSON.parse(r.stdout)).toEqual({ examples: rows, flagged, threshold: 4.5, leaked: 0 });
    expect(fs.statSync(path.join(dir, 'scores.csv')).size).toBeGreaterThan(rows * 6);
  }, 120_000);

  it('refuses a truth column that is not 0/1 or is a feature, and leaves no output behind', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 't.csv'), 'a,b,bad\n1,0,0\n2,2,2\n');
    const out = path.join(dir, 'scores.csv');
    await expect(detectCsvFile(zeroModel, path.join(dir, 't.csv'), schema, detector, { out, truth: { column: 'bad' } })).rejects.toThrow(/must hold 0 or 1, found 2 on line 3/);
    await expect(detectCsvFile(zeroModel, path.join(dir, 't.csv'), schema, detector, { out, truth: { column: 'a' } })).rejects.toThrow(UsageError);
    expect(fs.readdirSync(dir)).toEqual(['t.csv']);
  });
});

describe('detection summary', () => {
  it('parses anomaly labels and refuses anything else', () => {
    expect(parseAnomalyLabels('0, 2,2,9')).toEqual([0, 2, 9]);
    expect(() => parseAnomalyLabels('cats')).toThrow(UsageError);
    expect(() => parseAnomalyLabels('1,,2')).toThrow(UsageError);
  });

  it('adds AUCs only when the truth is known', () => {
    expect(summarizeDetection([0.1, 0.4, 0.35, 0.8], 1, 0.5)).toEqual({ examples: 4, flagged: 1, threshold: 0.5 });
    const s = summarizeDetection([0.1, 0.4, 0.35, 0.8], 1, 0.5, [0, 0, 1, 1]);
    expect(s.anomalies).toBe(2);
    expect(s.rocAuc).toBeCloseTo(0.75, 12);
    expect(s.prAuc).toBeCloseTo(5 / 6, 12);
  });
});
