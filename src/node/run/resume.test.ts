import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup, tempDir } from '../../../test/helpers.js';
import { loadDataset } from '../../core/data/load.js';
import { DivergenceError } from '../../core/errors.js';
import { loadCheckpoint } from '../../core/run/checkpoint.js';
import { runWriter } from '../../core/run/writer.js';
import { train } from '../../core/train/trainer.js';
import { DirectoryRunStore } from './directory-store.js';
import { loadRun, readMetrics, readRunConfig } from './run-folder.js';
import { resumeRun, trainRun } from './train-run.js';
import { floatPixels, pixelRange } from '../../core/data/pixels.js';

const BIN = path.resolve(__dirname, '../../../bin/latentkit.js');
const SMALL = { model: 'vae', hidden: [48], latent: 4, dataset: 'sprites', limit: 1500, batchSize: 100, seed: 3, backend: 'wasm' as const };
const strip = (rows: Record<string, number>[]) => rows.map(({ seconds: _s, samples_per_second: _r, ...rest }) => rest);

beforeAll(async () => {
  await setup('wasm');
});

describe('checkpoints and resuming', () => {
  it('resuming after 2 of 4 epochs reproduces the uninterrupted run', async () => {
    const full = tempDir();
    (await trainRun({ ...SMALL, epochs: 4 }, { out: full })).model.dispose();
    const split = tempDir();
    (await trainRun({ ...SMALL, epochs: 2 }, { out: split })).model.dispose();
    (await resumeRun(split, { epochs: 4, backend: 'wasm' })).model.dispose();
    const expected = strip(await readMetrics(full));
    const got = strip(await readMetrics(split));
    expect(got.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    for (let i = 0; i < 4; i++) for (const key of Object.keys(expected[i]!)) expect(got[i]![key]).toBeCloseTo(expected[i]![key]!, 3);
    expect((await readRunConfig(split)).training.epochs).toBe(4);
  });

  it("progress of a resumed run counts against the run's own epochs when none are given", async () => {
    const dir = tempDir();
    (await trainRun({ ...SMALL, limit: 300, epochs: 1 }, { out: dir })).model.dispose();
    const config = await readRunConfig(dir);
    config.training.epochs = 3;
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    const seen = new Set<string>();
    (await resumeRun(dir, { backend: 'wasm', onStep: (p) => seen.add(`${p.epoch}/${p.epochs}`) })).model.dispose();
    expect([...seen]).toEqual(['2/3', '3/3']);
  });

  it('a colour conv run with batch normalisation and dropout resumes exactly (moving statistics from the checkpoint, masks from the step seeds)', async () => {
    const conv = { model: 'vae', arch: 'conv' as const, convFilters: [8, 8], batchNorm: true, dropout: 0.2, hidden: [16], latent: 4, dataset: 'shapes:16', limit: 96, batchSize: 32, seed: 3, workers: 1, backend: 'wasm' as const };
    const full = tempDir();
    (await trainRun({ ...conv, epochs: 2 }, { out: full })).model.dispose();
    const split = tempDir();
    (await trainRun({ ...conv, epochs: 1 }, { out: split })).model.dispose();
    (await resumeRun(split, { epochs: 2, backend: 'wasm' })).model.dispose();
    // Bit for bit: the test loss reads the moving statistics, the training loss the dropout masks.
    expect(strip(await readMetrics(split))).toEqual(strip(await readMetrics(full)));
  });

  it('a NaN loss stops training with the epoch and step, keeping the last good checkpoint', async () => {
    const dir = tempDir();
    (await trainRun({ ...SMALL, epochs: 1 }, { out: dir })).model.dispose();
    const store = new DirectoryRunStore(dir);
    const checkpoint = await loadCheckpoint(store, await readRunConfig(dir));
    const loaded = await loadDataset('sprites', { split: 'train', limit: 1500 });
    // A NaN is no byte: the poisoned copy holds floats.
    const x = pixelRange(loaded);
    x[5 * 784 + 300] = Number.NaN;
    const poisoned = { ...loaded, pixels: floatPixels(x) };
    const testSet = await loadDataset('sprites', { split: 'test', limit: 200 });
    const attempt = train(checkpoint.model, poisoned, testSet, {
      epochs: 3,
      batchSize: 100,
      lr: 1e-3,
      seed: 3,
      hooks: runWriter(store, { seed: 3 }),
      resume: { state: checkpoint.state, optimizerWeights: checkpoint.optimizerWeights },
    });
    await expect(attempt).rejects.toBeInstanceOf(DivergenceError);
    await expect(attempt).rejects.toThrow(/at epoch 2, step \d+; stopped, the run keeps the state after epoch 1/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint/state.json'), 'utf8')).epochsCompleted).toBe(1);
    expect(await readMetrics(dir)).toHaveLength(1);
    checkpoint.model.dispose();
  });

  it('a run that diverges in its first epoch keeps its initial weights, loadable and resumable', async () => {
    const dir = path.join(tempDir(), 'diverged');
    await expect(trainRun({ ...SMALL, limit: 600, epochs: 2, lr: 10 }, { out: dir })).rejects.toThrow(/the run keeps its initial weights/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint/state.json'), 'utf8')).epochsCompleted).toBe(0);
    const { model } = await loadRun(dir);
    model.dispose();
  });

  it('a failure before the first epoch leaves no folder behind', async () => {
    const dir = path.join(tempDir(), 'never');
    await expect(trainRun({ ...SMALL, model: 'ae', latent: 784 }, { out: dir })).rejects.toThrow(/not smaller than the input/);
    expect(fs.existsSync(dir)).toBe(false);
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
    expect((await readMetrics(out)).map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    // The same run without interruption gives the same numbers.
    const clean = path.join(cwd, 'clean');
    expect(spawnSync(process.execPath, [BIN, ...args.slice(0, -1), clean, '--quiet'], { cwd }).status).toBe(0);
    const a = await readMetrics(clean);
    const b = await readMetrics(out);
    for (let i = 0; i < 4; i++) expect(b[i]!.test_loss).toBeCloseTo(a[i]!.test_loss, 3);
  });

  it('Ctrl-C in the first epoch leaves a checkpoint that --resume continues from', async () => {
    const cwd = tempDir();
    const out = path.join(cwd, 'early');
    const child = spawn(process.execPath, [BIN, 'train', '--epochs', '2', '--limit', '3000', '--hidden', '48', '--latent', '4', '--batch-size', '50', '--out', out], { cwd });
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/epoch 1\/2 step/.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted after 0 complete epoch\(s\).*--resume/);
    const resumed = spawnSync(process.execPath, [BIN, 'train', '--resume', out, '--quiet'], { cwd, encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect((await readMetrics(out)).map((r) => r.epoch)).toEqual([1, 2]);
  });
});

describe('resuming data-parallel training', () => {
  it('with 2 workers, resuming after 1 of 2 epochs equals the uninterrupted run exactly', async () => {
    const settings = { model: 'vae', hidden: [32], latent: 3, dataset: 'sprites', limit: 600, seed: 4, batchSize: 64, workers: 2, backend: 'wasm' as const };
    const full = tempDir();
    const straight = await trainRun({ ...settings, epochs: 2 }, { out: full });
    const split = tempDir();
    (await trainRun({ ...settings, epochs: 1 }, { out: split })).model.dispose();
    const resumed = await resumeRun(split, { epochs: 2, workers: 2 });
    expect(resumed.workers).toBe(2);
    const { seconds: _s, samples_per_second: _r, ...expected } = straight.metrics[1]!;
    const { seconds: _s2, samples_per_second: _r2, ...got } = resumed.metrics[0]!;
    expect(got).toEqual(expected);
    for (const m of [straight.model, resumed.model]) m.dispose();
  });
});

describe('resuming inside an epoch', () => {
  /** Train `epochs`, stopping (as Ctrl-C does) at the `stopAt`-th progress report; the metrics without timings. */
  async function stoppedThenResumed(settings: Parameters<typeof trainRun>[0], stopAt: number, workers?: number): Promise<Record<string, number>[]> {
    const dir = tempDir();
    const controller = new AbortController();
    let reports = 0;
    const first = await trainRun(settings, { out: dir, signal: controller.signal, onStep: () => ++reports === stopAt && controller.abort() });
    first.model.dispose();
    expect(first.interrupted).toBe(true);
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint/state.json'), 'utf8'));
    expect(state.partial.steps).toBeGreaterThan(0);
    (await resumeRun(dir, { workers, backend: 'wasm' })).model.dispose();
    return strip(await readMetrics(dir));
  }

  it('continues a stopped epoch at the next step: the numbers are exactly those of the run never stopped (dynamic binarization too)', async () => {
    // 40 steps per epoch: progress every 16 steps, so the 3rd report stops epoch 2 after its 16th step.
    const settings = { ...SMALL, limit: 1000, batchSize: 25, epochs: 2, binarize: 'dynamic' as const };
    const full = tempDir();
    (await trainRun(settings, { out: full })).model.dispose();
    expect(await stoppedThenResumed(settings, 3)).toEqual(strip(await readMetrics(full)));
  });

  it('with 2 workers as well, stopped after the last step of an epoch, before its evaluation', async () => {
    // 24 steps per epoch: reports after steps 16 and 24, so the 2nd comes after epoch 1's last step.
    const settings = { ...SMALL, limit: 600, batchSize: 25, epochs: 2, workers: 2 };
    const full = tempDir();
    (await trainRun(settings, { out: full })).model.dispose();
    expect(await stoppedThenResumed(settings, 2, 2)).toEqual(strip(await readMetrics(full)));
  });

  it('a checkpoint whose partial epoch is damaged is refused as corrupt, naming the file', async () => {
    const dir = tempDir();
    const controller = new AbortController();
    (await trainRun({ ...SMALL, limit: 1000, batchSize: 25, epochs: 1 }, { out: dir, signal: controller.signal, onStep: () => controller.abort() })).model.dispose();
    const file = path.join(dir, 'checkpoint/state.json');
    const state = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...state, partial: { ...state.partial, steps: -1 } }));
    await expect(resumeRun(dir, { backend: 'wasm' })).rejects.toThrow(`corrupt checkpoint in ${dir}/checkpoint: state.json has an invalid partial epoch`);
  });

  it('a metrics line lost to a kill after the checkpoint comes back on resume', async () => {
    const dir = tempDir();
    (await trainRun({ ...SMALL, limit: 600, epochs: 2 }, { out: dir })).model.dispose();
    const full = strip(await readMetrics(dir));
    // As if killed between writing epoch 2's checkpoint and appending its line.
    const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), `${lines[0]}\n${lines[1]!.slice(0, 20)}`);
    (await resumeRun(dir, { epochs: 2, backend: 'wasm' })).model.dispose();
    expect(strip(await readMetrics(dir))).toEqual(full);
  });
});
