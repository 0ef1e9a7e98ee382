// Compute threads and relaxed SIMD: the default, the environment override, and bad values refused before anything is written.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultComputeThreads } from '../src/node/backend/threads.js';
import { UsageError } from '../src/core/errors.js';
import { BIN, cli, tempDir } from './helpers.js';

describe('compute threads', () => {
  it('default to every core unless LATENTKIT_THREADS says otherwise, and refuse what is not a positive integer', () => {
    expect(defaultComputeThreads({}, 2)).toBe(2);
    expect(defaultComputeThreads({ LATENTKIT_THREADS: '' }, 8)).toBe(8);
    expect(defaultComputeThreads({ LATENTKIT_THREADS: '1' }, 8)).toBe(1);
    for (const bad of ['0', '-1', '2.5', 'abc']) expect(() => defaultComputeThreads({ LATENTKIT_THREADS: bad }, 2)).toThrow(UsageError);
  });

  it('the CLI refuses --threads 0 and a bad LATENTKIT_THREADS with one line and exit code 2, writing no run folder', () => {
    const cwd = tempDir();
    const flag = cli(['train', '--threads', '0', '--epochs', '1', '--limit', '64', '--out', 'a', '--quiet'], cwd);
    expect(flag.code).toBe(2);
    expect(flag.stderr.trim().split('\n')).toEqual(['latentkit: error: --threads must be ≥ 1, got 0']);
    const env = spawnSync(process.execPath, [BIN, 'train', '--epochs', '1', '--limit', '64', '--out', 'b', '--quiet'], { cwd, encoding: 'utf8', env: { ...process.env, LATENTKIT_THREADS: 'abc' } });
    expect(env.status).toBe(2);
    expect(env.stderr.trim().split('\n')).toHaveLength(1);
    expect(env.stderr).toMatch(/LATENTKIT_THREADS must be a positive integer/);
    expect(fs.existsSync(path.join(cwd, 'a')) || fs.existsSync(path.join(cwd, 'b'))).toBe(false);
  }, 60_000);

  it('the CLI refuses a bad LATENTKIT_RELAXED_SIMD the same way', () => {
    const cwd = tempDir();
    const run = spawnSync(process.execPath, [BIN, 'train', '--epochs', '1', '--limit', '64', '--out', 'c', '--quiet'], { cwd, encoding: 'utf8', env: { ...process.env, LATENTKIT_RELAXED_SIMD: 'yes' } });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual(["latentkit: error: LATENTKIT_RELAXED_SIMD must be 0 or 1 (got 'yes')"]);
    expect(fs.existsSync(path.join(cwd, 'c'))).toBe(false);
  }, 60_000);
});
