/**
 * Progress suits where stderr goes: a live bar (or one rewritten line) on a
 * terminal, plain periodic lines in a log (no carriage returns, no escape
 * codes), nothing at all with --quiet; for every command that can run long.
 * `npm test` builds first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { progressReporter } from '../src/cli/commands/context.js';
import { createProgress } from '../src/cli/progress.js';
import type { CommandIO } from '../src/cli/commands.js';
import { cli, tempDir } from './helpers.js';

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  columns = 80;
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const step = (s: number) => ({ epoch: 1, epochs: 2, step: s, steps: 8, loss: 100 - s, samplesPerSecond: 1000 });
const epochRow = { epoch: 1, train_loss: 90, test_loss: 91, test_recon: 80, test_kl: 11, seconds: 1, samples_per_second: 1000 };

describe('progress reporters', () => {
  it('training: a bar on a terminal, a few plain lines in a log, nothing when quiet', () => {
    const outputs = [new Capture(true), new Capture(false), new Capture(false)];
    outputs.forEach((stream, i) => {
      const p = createProgress(stream, { quiet: i === 2 });
      for (let s = 1; s <= 8; s++) p.step(step(s));
      p.epoch(epochRow);
      p.stop();
    });
    const [tty, log, quiet] = outputs.map((o) => o.text);
    expect(tty).toMatch(/\r|\x1b\[/);
    expect(log).not.toMatch(/\r|\x1b/);
    expect(log.trim().split('\n')).toEqual([
      'epoch 1/2 step 2/8: loss 98.00, 1000 samples/s',
      'epoch 1/2 step 4/8: loss 96.00, 1000 samples/s',
      'epoch 1/2 step 6/8: loss 94.00, 1000 samples/s',
      'epoch 1: train loss 90.00, test loss 91.00 (recon 80.00, kl 11.00), 1.0 s, 1000 samples/s',
    ]);
    expect(quiet).toBe('');
  });

  it('jobs: one rewritten line on a terminal, a line per tenth in a log, nothing when quiet or --json', () => {
    const run = (isTTY: boolean, flags: { quiet?: boolean; json?: boolean } = {}) => {
      const stderr = new Capture(isTTY);
      const report = progressReporter({ stderr, stdout: new Capture(false), signal: new AbortController().signal } as CommandIO, flags);
      for (let done = 5; done <= 100; done += 5) report?.({ what: 'iwae', done, total: 100 });
      return stderr.text;
    };
    expect(run(true)).toMatch(/^\riwae: 5\/100\riwae: 10\/100.*\riwae: 100\/100\n$/s);
    const log = run(false);
    expect(log).not.toMatch(/\r/);
    expect(log.trim().split('\n')).toEqual(['iwae: 5/100', ...Array.from({ length: 10 }, (_, i) => `iwae: ${(i + 1) * 10}/100`)]);
    expect(run(false, { quiet: true })).toBe('');
    expect(run(true, { json: true })).toBe('');
  });
});

describe('long commands, stderr to a log (not a terminal)', () => {
  let cwd: string;
  const TRAIN = ['train', '--epochs', '2', '--limit', '800', '--hidden', '16', '--latent', '2', '--batch-size', '25', '--out', 'run'];
  /** The training of the run the other commands use, reported to a log. */
  let trained: ReturnType<typeof cli>;

  beforeAll(() => {
    expect(fs.existsSync(path.resolve(__dirname, '../dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    cwd = tempDir('latentkit-progress-');
    trained = cli(TRAIN, cwd);
    expect(trained.code, trained.stderr).toBe(0);
  }, 120_000);

  /** Run a command twice, plainly and with --quiet; the plain run's stderr lines. */
  function plainAndQuiet(args: string[]): string[] {
    const quiet = cli([...args, '--quiet'], cwd);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    const plain = cli(args, cwd);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toMatch(/\r|\x1b/);
    return plain.stderr.trim().split('\n');
  }

  it('train: a line part way through each epoch and one per epoch', () => {
    const quiet = cli([...TRAIN.slice(0, -1), 'quiet-run', '--quiet'], cwd);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(trained.stderr).not.toMatch(/\r|\x1b/);
    const lines = trained.stderr.trim().split('\n');
    expect(lines.filter((l) => /^epoch 1\/2 step 16\/32: loss [\d.]+, \d+ samples\/s$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^epoch \d: train loss/.test(l))).toHaveLength(2);
  }, 120_000);

  it('eval --iwae, detect fit --score iwae and search index report periodically', () => {
    const iwae = plainAndQuiet(['eval', '--run', 'run', '--iwae', '500', '--limit', '240']);
    expect(iwae.length).toBeGreaterThanOrEqual(3);
    for (const line of iwae) expect(line).toMatch(/^iwae: \d+\/240$/);
    const fit = plainAndQuiet(['detect', 'fit', '--run', 'run', '--score', 'iwae', '--iwae', '50']);
    expect(fit.length).toBeGreaterThanOrEqual(3);
    for (const line of fit) expect(line).toMatch(/^iwae scores: \d+\/800$/);
    const index = plainAndQuiet(['search', 'index', '--run', 'run', '--split', 'train', '--limit', '3000']);
    expect(index).toEqual(['encoding: 1000/3000', 'encoding: 2000/3000', 'encoding: 3000/3000']);
  }, 180_000);
});
