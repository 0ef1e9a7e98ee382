/**
 * A run's networks are checked against its config.json when loaded (model/
 * and checkpoint/ alike): networks of another shape are refused in one line
 * with exit code 2, never loaded into garbage. And the helper threads of
 * the shared matrix products let a plain ES-module script exit cleanly.
 * `npm test` builds first.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

const ROOT = path.resolve(__dirname, '..');

describe('network fingerprint against config.json', () => {
  let cwd: string;

  beforeAll(() => {
    expect(fs.existsSync(path.join(ROOT, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    cwd = tempDir('latentkit-integrity-');
    const r = cli(['train', '--epochs', '1', '--limit', '200', '--hidden', '16', '--latent', '2', '--batch-size', '50', '--out', 'run', '--quiet'], cwd);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  /** A copy of the run whose config.json says something its networks are not. */
  function tampered(name: string, change: (model: Record<string, unknown>) => void): string {
    const dir = path.join(cwd, name);
    fs.cpSync(path.join(cwd, 'run'), dir, { recursive: true });
    const file = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    change(config.model);
    fs.writeFileSync(file, JSON.stringify(config));
    return dir;
  }

  function expectRefused(r: ReturnType<typeof cli>, where: string): void {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^latentkit: error: the (encoder|decoder) network in ${where} does not match config\\.json \\(.*\\); the run folder is inconsistent\\n$`));
  }

  it('another latent size or hidden width in config.json: sample refuses the model, exit 2, nothing written', () => {
    for (const [name, change] of [
      ['latent', (m: Record<string, unknown>) => (m.latent = 3)],
      ['hidden', (m: Record<string, unknown>) => (m.hidden = [17])],
    ] as const) {
      const run = tampered(name, change);
      expectRefused(cli(['sample', '--run', run, '--n', '4', '--out', `${name}.png`], cwd), `${run}/model`);
      expect(fs.existsSync(path.join(cwd, `${name}.png`))).toBe(false);
    }
  }, 60_000);

  it('--resume checks the checkpoint the same way', () => {
    const run = tampered('resume', (m) => (m.latent = 5));
    const r = cli(['train', '--resume', run, '--epochs', '2'], cwd);
    expectRefused(r, `${run}/checkpoint`);
    expect(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  }, 60_000);
});

describe.skipIf(process.platform !== 'linux')('helper threads in an ES-module script (reads /proc/self/status)', () => {
  it('node --input-type=module: products shared with a helper thread, then a clean exit (code 0, not 7)', () => {
    const script = `
      import * as fs from 'node:fs';
      import * as tf from '@tensorflow/tfjs-core';
      import { initBackend, setComputeThreads } from './dist/node/backend/index.js';
      const threads = () => Number(/Threads:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
      await initBackend('wasm');
      setComputeThreads(2);
      const before = threads();
      const c = tf.matMul(tf.randomNormal([512, 784]), tf.randomNormal([784, 512]));
      await c.data();
      console.log(JSON.stringify({ before, after: threads() }));`;
    for (const ending of ['', 'process.exit(0);']) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script + ending], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const { before, after } = JSON.parse(r.stdout);
      // A helper started: the product really was shared, so the exit above is the one with a helper alive.
      expect(after).toBeGreaterThan(before);
    }
  }, 60_000);
});
