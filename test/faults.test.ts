/**
 * Faults: a training run killed (SIGKILL) or interrupted (Ctrl-C) at a
 * seeded-random moment, then resumed until done, ends with exactly the
 * metrics of the same run never interrupted; a long command that is not
 * training, interrupted, leaves no partial output. `npm test` builds first.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/core/data/random.js';
import { BIN, tempDir } from './helpers.js';

// One compute thread: eight engineers share two cores, and the numbers must not depend on it anyway.
const ENV = { ...process.env, LATENTKIT_THREADS: '1' };
// 32 steps per epoch: a progress line after step 16, then the epoch's line; 10 lines in all. Kills
// land in the first two epochs, so three remain to be killed in however slowly the parent reads.
const EPOCHS = 5;
const TRAIN = ['--epochs', String(EPOCHS), '--limit', '800', '--hidden', '16', '--latent', '2', '--batch-size', '25', '--seed', '5'];
const KILL_LINES = 4;

interface Kill {
  signal: 'SIGKILL' | 'SIGINT';
  /** Send it this long after the Nth progress line. */
  afterLine: number;
  delayMs: number;
}

interface Attempt {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  /** Whether the kill was sent before the process ended on its own. */
  killed: boolean;
}

/** Run `latentkit ARGS`, sending `kill` after the `afterLine`-th line of stderr matching `progress`. */
function attempt(args: string[], cwd: string, kill?: Kill, progress = /^epoch \d/gm): Promise<Attempt> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: ENV });
  let stderr = '';
  let stdout = '';
  let killed = false;
  let armed = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!kill || armed || (stderr.match(progress) ?? []).length < kill.afterLine) return;
    armed = true;
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) killed = child.kill(kill.signal);
    }, kill.delayMs);
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr, stdout, killed })));
}

/** Split a printed command into words (POSIX single quotes, as the CLI prints them). */
function shellWords(command: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m = re.exec(command); m; m = re.exec(command)) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
  return words;
}

/** metrics.jsonl without the timings, which differ between any two runs. */
function metrics(run: string): Record<string, number>[] {
  return fs
    .readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { seconds: _s, samples_per_second: _r, ...rest } = JSON.parse(line) as Record<string, number>;
      return rest;
    });
}

/** Files whose names say a write did not finish (temporaries, folders moved aside). */
function leftovers(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => /\.(tmp|old)-\d+-\d+/.test(name));
}

const rand = mulberry32(20);
/** A kill at a seeded-random point: after one of the first `lines` progress lines, 0-200 ms later. */
const randomKill = (signal: Kill['signal'], lines: number): Kill => ({ signal, afterLine: 1 + Math.floor(rand() * lines), delayMs: Math.floor(rand() * 200) });

describe('killed and interrupted training resumes to the uninterrupted result', () => {
  let cwd: string;
  let reference: Record<string, number>[];

  beforeAll(async () => {
    expect(fs.existsSync(path.resolve(__dirname, '../dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    cwd = tempDir('latentkit-faults-');
    const r = await attempt(['train', ...TRAIN, '--out', 'reference', '--quiet'], cwd);
    expect(r.code, r.stderr).toBe(0);
    reference = metrics(path.join(cwd, 'reference'));
    expect(reference.map((row) => row.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
  }, 120_000);

  /**
   * Train into `out` with a kill per entry of `kills` (the first on the new
   * run, the next on its resumption...), then resume until it completes.
   * Returns how many kills landed.
   */
  async function trainThroughFaults(out: string, kills: Kill[]): Promise<number> {
    let args = ['train', ...TRAIN, '--out', out];
    let landed = 0;
    for (let i = 0; ; i++) {
      const r = await attempt(args, cwd, kills[i]);
      if (r.code === 0) break;
      expect(r.killed, `attempt ${i + 1} ended with ${r.code ?? r.signal} without being killed: ${r.stderr}`).toBe(true);
      expect(i, 'more attempts than kills').toBeLessThan(kills.length);
      landed++;
      if (kills[i]!.signal === 'SIGKILL') {
        expect(r.signal).toBe('SIGKILL');
        args = ['train', '--resume', out];
        continue;
      }
      // Ctrl-C: exit 130, a checkpoint inside the epoch (not at its start), and the command to continue with, which is what we run next.
      expect(r.code, r.stderr).toBe(130);
      const state = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint/state.json'), 'utf8'));
      expect(state.partial.steps).toBeGreaterThanOrEqual(1);
      expect(state.partial.totals.examples).toBe(state.partial.steps * 25);
      const command = /continue with: (.+)$/m.exec(r.stderr)?.[1];
      expect(command, r.stderr).toBeDefined();
      const words = shellWords(command!);
      expect(words.slice(0, 3)).toEqual(['latentkit', 'train', '--resume']);
      args = words.slice(1);
    }
    return landed;
  }

  function expectSameAsReference(run: string): void {
    expect(metrics(run)).toEqual(reference);
    const state = JSON.parse(fs.readFileSync(path.join(run, 'checkpoint/state.json'), 'utf8'));
    expect(state.epochsCompleted).toBe(EPOCHS);
    expect(state.partial).toBeUndefined();
    expect(leftovers(run)).toEqual([]);
  }

  it('SIGKILL at a random moment, then --resume', async () => {
    const run = path.join(cwd, 'kill-once');
    expect(await trainThroughFaults(run, [randomKill('SIGKILL', KILL_LINES)])).toBe(1);
    expectSameAsReference(run);
  }, 120_000);

  it('SIGKILL, and SIGKILL again while resuming, then --resume', async () => {
    const run = path.join(cwd, 'kill-twice');
    expect(await trainThroughFaults(run, [randomKill('SIGKILL', 2), { signal: 'SIGKILL', afterLine: 1, delayMs: Math.floor(rand() * 200) }])).toBe(2);
    expectSameAsReference(run);
  }, 120_000);

  it('Ctrl-C mid-epoch prints the command that continues the run, quoted, and it does, even through a SIGKILL', async () => {
    const run = path.join(cwd, "with space's");
    expect(await trainThroughFaults(run, [{ signal: 'SIGINT', afterLine: 1 + Math.floor(rand() * (KILL_LINES - 1)), delayMs: 0 }, randomKill('SIGKILL', 1)])).toBe(2);
    expectSameAsReference(run);
  }, 120_000);

  it('Ctrl-C, and Ctrl-C again while resuming, then the printed command', async () => {
    const run = path.join(cwd, 'interrupt-twice');
    expect(await trainThroughFaults(run, [randomKill('SIGINT', 2), { signal: 'SIGINT', afterLine: 1, delayMs: 0 }])).toBe(2);
    expectSameAsReference(run);
  }, 120_000);

  describe('commands that are not training stop at once and leave nothing partial', () => {
    it('eval --iwae', async () => {
      const dir = tempDir('latentkit-faults-eval-');
      const r = await attempt(['eval', '--run', path.join(cwd, 'reference'), '--iwae', '500', '--limit', '400'], dir, { signal: 'SIGINT', afterLine: 1, delayMs: 0 }, /^iwae: /gm);
      expect(r.killed, r.stderr).toBe(true);
      // Ended by the signal itself: the handler-free default, not a late "interrupted" after the work.
      expect(r.signal).toBe('SIGINT');
      expect(r.stdout).toBe('');
      expect(fs.readdirSync(dir)).toEqual([]);
    }, 120_000);

    it('detect fit --score iwae on an existing run', async () => {
      const run = path.join(cwd, 'detector');
      fs.cpSync(path.join(cwd, 'reference'), run, { recursive: true });
      const before = fs.readdirSync(run, { recursive: true }).sort();
      const r = await attempt(['detect', 'fit', '--run', run, '--score', 'iwae', '--iwae', '200'], cwd, { signal: 'SIGINT', afterLine: 1, delayMs: 0 }, /^iwae scores: /gm);
      expect(r.killed, r.stderr).toBe(true);
      expect(r.signal).toBe('SIGINT');
      expect(fs.existsSync(path.join(run, 'detector.json'))).toBe(false);
      expect(fs.readdirSync(run, { recursive: true }).sort()).toEqual(before);
      // Left alone, the same command completes.
      const done = spawnSync(process.execPath, [BIN, 'detect', 'fit', '--run', run, '--score', 'iwae', '--iwae', '20', '--quiet'], { cwd, env: ENV, encoding: 'utf8' });
      expect(done.status, done.stderr).toBe(0);
      expect(fs.existsSync(path.join(run, 'detector.json'))).toBe(true);
    }, 120_000);
  });
});
