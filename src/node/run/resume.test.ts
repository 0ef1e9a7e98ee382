import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup, tempDir } from '../../../test/helpers.js';
import { loadDataset } from '../../core/data/load.js';
import { DivergenceError } from '../../core/errors.js';
import { readMetrics, readRunConfig } from './run-folder.js';
import { createRun, trainRun } from './train-run.js';
import { loadCheckpoint } from './checkpoint.js';
import { train } from '../../core/train/trainer.js';

const BIN = path.resolve(__dirname, '../../../bin/latentkit.js');
const SMALL = { model: 'vae', modelInput: { hidden: [48], latent: 4 }, dataset: 'sprites', limit: 1500, batchSize: 100, seed: 3, quiet: true, backend: 'wasm' as const };

beforeAll(async () => {
  await setup('wasm');
});

describe('checkpoints and --resume', () => {
  it('resuming after 2 of 4 epochs reproduces the uninterrupted run', async () => {
    const full = tempDir();
    const a = await trainRun({ ...SMALL, out: full, epochs: 4 });
    a.model.dispose();
    const split = tempDir();
    const b1 = await trainRun({ ...SMALL, out: split, epochs: 2 });
    b1.model.dispose();
    const b2 = await trainRun({ out: split, resume: true, epochs: 4, quiet: true, backend: 'wasm' });
    b2.model.dispose();
    const strip = (rows: Record<string, number>[]) => rows.map(({ seconds, samples_per_second, ...rest }) => rest);
    const expected = strip(readMetrics(full));
    const got = strip(readMetrics(split));
    expect(got.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    for (let i = 0; i < 4; i++) for (const key of Object.keys(expected[i])) expect(got[i][key]).toBeCloseTo(expected[i][key], 3);
    expect(readRunConfig(split).training.epochs).toBe(4);
  });

  it('a NaN loss stops training with the epoch and step, keeping the last good checkpoint', async () => {
    const dir = tempDir();
    const first = await trainRun({ ...SMALL, out: dir, epochs: 1 });
    first.model.dispose();
    const config = readRunConfig(dir);
    const checkpoint = await loadCheckpoint(dir, config);
    const poisoned = await loadDataset('sprites', { split: 'train', limit: 1500 });
    poisoned.images[5 * 784 + 300] = Number.NaN;
    const testSet = await loadDataset('sprites', { split: 'test', limit: 200 });
    const attempt = train(checkpoint.model, poisoned, testSet, {
      epochs: 3, batchSize: 100, lr: 1e-3, seed: 3, runDir: dir,
      resume: { state: checkpoint.state, optimizerWeights: checkpoint.optimizerWeights },
    });
    await expect(attempt).rejects.toBeInstanceOf(DivergenceError);
    await expect(attempt).rejects.toThrow(/at epoch 2, step \d+/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint/state.json'), 'utf8')).epochsCompleted).toBe(1);
    expect(readMetrics(dir)).toHaveLength(1);
    checkpoint.model.dispose();
  });

  it('a run killed with SIGKILL mid-epoch resumes, losing at most that epoch', async () => {
    const cwd = tempDir();
    const out = path.join(cwd, 'killed');
    const args = ['train', '--epochs', '4', '--limit', '3000', '--hidden', '48', '--latent', '4', '--batch-size', '100', '--seed', '3', '--out', out];
    const child = spawn(process.execPath, [BIN, ...args], { cwd });
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Kill during epoch 2, after its first progress line.
        if (/epoch 2\/4 step/.test(stderr) && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    const completed = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint/state.json'), 'utf8')).epochsCompleted;
    expect(completed).toBe(1);
    const resumed = spawnSync(process.execPath, [BIN, 'train', '--resume', out, '--quiet'], { cwd, encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(readMetrics(out).map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    // The same run without interruption gives the same numbers.
    const clean = path.join(cwd, 'clean');
    expect(spawnSync(process.execPath, [BIN, ...args.slice(0, -1), clean, '--quiet'], { cwd }).status).toBe(0);
    const a = readMetrics(clean);
    const b = readMetrics(out);
    for (let i = 0; i < 4; i++) expect(b[i].test_loss).toBeCloseTo(a[i].test_loss, 3);
  });
});

describe('resuming data-parallel training', () => {
  it('with 2 workers, resuming after 1 of 2 epochs equals the uninterrupted run exactly', async () => {
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 600 });
    const testSet = await loadDataset('sprites', { split: 'test', limit: 100 });
    const settings = { modelName: 'vae', modelInput: { hidden: [32], latent: 3 }, trainSet, datasetName: 'sprites', seed: 4, backend: 'wasm', epochs: 2, batchSize: 64, lr: 1e-3, limit: 600 };
    const options = { batchSize: 64, lr: 1e-3, seed: 4, workers: 2 };
    const full = tempDir();
    const a = await createRun({ ...settings, dir: full });
    const straight = await train(a.model, trainSet, testSet, { ...options, epochs: 2, runDir: full });
    const split = tempDir();
    const b = await createRun({ ...settings, dir: split });
    await train(b.model, trainSet, testSet, { ...options, epochs: 1, runDir: split });
    const checkpoint = await loadCheckpoint(split, readRunConfig(split));
    const resumed = await train(checkpoint.model, trainSet, testSet, { ...options, epochs: 2, runDir: split, resume: { state: checkpoint.state, optimizerWeights: checkpoint.optimizerWeights } });
    expect(resumed.workers).toBe(2);
    const { seconds: _s, samples_per_second: _r, ...expected } = straight.metrics[1];
    const { seconds: _s2, samples_per_second: _r2, ...got } = resumed.metrics[0];
    expect(got).toEqual(expected);
    for (const m of [a.model, b.model, checkpoint.model]) m.dispose();
  });
});
