/**
 * A full disk and a read-only one, for real: small tmpfs mounts. A command
 * that cannot write says so in one line naming the file and the cause,
 * exits 1, and leaves no temporary file and no half-written run behind.
 * Needs root (mount); skipped otherwise. `npm test` builds first.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from './helpers.js';

const ENV = { ...process.env, LATENTKIT_THREADS: '1' };
const TINY = ['--limit', '200', '--hidden', '16', '--latent', '2', '--batch-size', '50', '--quiet'];

const mounts: string[] = [];

/** A fresh tmpfs of `size` (e.g. "64k"), or the reason there cannot be one. */
function tmpfs(size: string): string {
  const dir = tempDir('latentkit-disk-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount failed: ${(r.stderr || r.error?.message || '').trim()}`);
  mounts.push(dir);
  return dir;
}

function remount(dir: string, options: string): void {
  const r = spawnSync('mount', ['-o', `remount,${options}`, dir], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

/** Why these tests cannot run here, or undefined when they can. */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'tmpfs mounts are a Linux feature';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  try {
    tmpfs('16k');
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

afterAll(() => {
  for (const dir of mounts.splice(0)) {
    spawnSync('umount', [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function latentkit(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: ENV, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => /\.(tmp|old)-\d+-\d+/.test(name));
}

const reason = unavailable();

describe.skipIf(reason !== undefined)(`a full or read-only disk${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('train into a tmpfs too small for even the first checkpoint: one line with ENOSPC, exit 1, no run folder', () => {
    const disk = tmpfs('64k');
    const r = latentkit(['train', '--epochs', '2', ...TINY, '--out', 'run'], disk);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^latentkit: error: cannot write run\/[a-z]+(\/\S+)?: no space left on the device \(ENOSPC\)\n$/);
    expect(fs.readdirSync(disk)).toEqual([]);
  }, 60_000);

  it('a disk that fills up in a later epoch keeps the last complete epoch, resumable once there is room', () => {
    const disk = tmpfs('600k');
    const r = latentkit(['train', '--epochs', '3', ...TINY, '--out', 'run'], disk);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^latentkit: error: cannot write run\/\S+: no space left on the device \(ENOSPC\); run keeps its last checkpoint: make room, then latentkit train --resume run\n$/);
    const run = path.join(disk, 'run');
    const state = JSON.parse(fs.readFileSync(path.join(run, 'checkpoint/state.json'), 'utf8'));
    expect(state.epochsCompleted).toBeGreaterThanOrEqual(1);
    expect(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(state.epochsCompleted);
    expect(leftovers(disk)).toEqual([]);
    remount(disk, 'size=8m');
    const resumed = latentkit(['train', '--resume', 'run', '--quiet'], disk);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  }, 120_000);

  it('sample --out into a read-only file system: one line naming the file and EROFS, exit 1, nothing written', () => {
    const cwd = tempDir('latentkit-disk-run-');
    expect(latentkit(['train', '--epochs', '1', ...TINY, '--out', 'run'], cwd).code).toBe(0);
    const disk = tmpfs('1m');
    remount(disk, 'ro');
    const out = path.join(disk, 'samples.png');
    const r = latentkit(['sample', '--run', 'run', '--n', '4', '--out', out], cwd);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`latentkit: error: cannot write ${out}: read-only file system (EROFS)\n`);
    expect(r.stdout).toBe('');
    expect(fs.readdirSync(disk)).toEqual([]);
  }, 60_000);
});
