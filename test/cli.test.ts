// End to end: the built `latentkit` binary on small data. `npm test` builds first.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '../src/core/io/npy.js';
import { BIN, cli, tempDir } from './helpers.js';

function png(file: string): PNG {
  return PNG.sync.read(fs.readFileSync(file));
}

describe('latentkit CLI', () => {
  let cwd: string;
  let run: string;

  beforeAll(() => {
    expect(fs.existsSync(path.resolve(__dirname, '../dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    cwd = tempDir();
    run = path.join(cwd, 'runs/tiny');
    const r = cli(['train', '--epochs', '2', '--limit', '512', '--hidden', '64', '--latent', '2', '--batch-size', '64', '--out', 'runs/tiny'], cwd);
    expect(r.code, r.stderr).toBe(0);
  });

  it('train writes the run-folder contract', () => {
    for (const f of ['config.json', 'metrics.jsonl', 'model/encoder/model.json', 'model/encoder/weights.bin', 'model/decoder/model.json', 'samples/epoch-1-generated.png', 'samples/epoch-2-reconstructed.png', 'checkpoint/state.json']) {
      expect(fs.existsSync(path.join(run, f)), f).toBe(true);
    }
    const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
    expect(config.model).toMatchObject({ model: 'vae', hidden: [64], latent: 2, activation: 'relu', inputShape: [28, 28, 1] });
    expect(config.data.dataset).toBe('sprites');
    expect(config.training).toMatchObject({ epochs: 2, batchSize: 64, seed: 0 });
    const lines = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const key of ['epoch', 'train_loss', 'train_recon', 'train_kl', 'test_loss', 'test_recon', 'test_kl', 'seconds', 'samples_per_second']) expect(lines[1]).toHaveProperty(key);
    // The 8×8 grid of 28-pixel images with 2-pixel padding.
    expect(png(path.join(run, 'samples/epoch-1-generated.png')).width).toBe(8 * 28 + 9 * 2);
    // No temporary files are left behind.
    expect(fs.readdirSync(run).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('sample, reconstruct, encode and eval work on the run', () => {
    expect(cli(['sample', '--run', run, '--n', '16', '--out', 'samples.png'], cwd).code).toBe(0);
    expect(png(path.join(cwd, 'samples.png')).width).toBe(4 * 28 + 5 * 2);
    expect(cli(['reconstruct', '--run', run, '--n', '8', '--out', 'recon.png'], cwd).code).toBe(0);
    expect(png(path.join(cwd, 'recon.png')).height).toBe(2 * 28 + 3 * 2);

    expect(cli(['encode', '--run', run, '--limit', '100', '--out', 'z.csv'], cwd).code).toBe(0);
    const rows = fs.readFileSync(path.join(cwd, 'z.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('label,z1,z2');
    expect(rows).toHaveLength(101);
    expect(rows[1].split(',').map(Number).every(Number.isFinite)).toBe(true);
    expect(cli(['encode', '--run', run, '--limit', '100', '--out', 'z.npy'], cwd).code).toBe(0);
    const npy = decodeNpy(fs.readFileSync(path.join(cwd, 'z.npy')));
    expect(npy.shape).toEqual([100, 3]);
    expect(npy.data[0]).toBe(Number(rows[1].split(',')[0]));

    const evaluated = cli(['eval', '--run', run, '--json'], cwd);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const result = JSON.parse(evaluated.stdout);
    expect(result).toMatchObject({ model: 'vae', dataset: 'sprites', split: 'test', binarize: 'none' });
    expect(result.loss).toBeCloseTo(result.recon + result.kl, 3);
    // Sprites have known factors, so eval scores disentanglement against them.
    for (const key of ['mig', 'sap', 'dci_disentanglement', 'dci_completeness', 'dci_informativeness']) {
      expect(result[key], key).toBeGreaterThanOrEqual(0);
      expect(result[key], key).toBeLessThanOrEqual(1);
    }
    // Chance accuracy of 4 shapes and 20 bins of four continuous factors is about (¼ + 4/20)/5 = 0.09.
    expect(result.dci_informativeness).toBeGreaterThan(0.09);
    // MIG is the mean of the per-factor gaps listed beside it.
    const perFactor = ['shape', 'scale', 'rotation', 'x', 'y'].map((name) => result[`mig_${name}`] as number);
    expect(result.mig).toBeCloseTo(perFactor.reduce((a, b) => a + b, 0) / perFactor.length, 10);
  });

  it('eval shows the disentanglement scores in its table', () => {
    const table = cli(['eval', '--run', run, '--limit', '300'], cwd);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ {2}mig {18}\d\.\d{4}$/m);
    expect(table.stdout).toMatch(/^ {2}dci_completeness {5}\d\.\d{4}$/m);
  });

  it('bad usage and bad input exit with code 2 and one line', () => {
    const cases: string[][] = [
      ['train', '--epochs', 'many'],
      ['train', '--latent', '0', '--out', 'runs/x'],
      ['train', '--dataset', 'cifar'],
      ['train', '--out', run],
      ['sample', '--out', 'x.png'],
      ['sample', '--run', 'no-such-run', '--out', 'x.png'],
      ['sample', '--run', run, '--out', 'x.jpg'],
      ['sample', '--run', run, '--label', '3', '--out', 'x.png'],
      ['encode', '--run', run, '--out', 'z.txt'],
      ['eval', '--run', run, '--dataset', 'idx:/nonexistent'],
      ['nonsense'],
    ];
    for (const args of cases) {
      const r = cli(args, cwd);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^latentkit: error: /);
    }
  });

  it('--help works for every command without loading a model', () => {
    for (const c of ['train', 'sample', 'reconstruct', 'encode', 'eval']) {
      const r = cli([c, '--help'], cwd);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`latentkit ${c}`);
    }
    expect(cli(['train', '--help'], cwd).stdout).toContain('Options of --model vae');
  });

  it('a corrupt model file is refused with exit code 2', () => {
    const broken = path.join(cwd, 'runs/broken');
    fs.cpSync(run, broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'model/decoder/weights.bin'), Buffer.alloc(100));
    const r = cli(['sample', '--run', broken, '--out', 'x.png'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/truncated or corrupt/);
  });

  it('Ctrl-C stops after the current step and leaves a loadable run folder', async () => {
    const out = path.join(cwd, 'runs/interrupted');
    const child = spawn(process.execPath, [BIN, 'train', '--epochs', '50', '--limit', '4000', '--out', out], { cwd });
    let stderr = '';
    // Interrupt once the first epoch is complete (its metrics line is printed).
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/epoch 1: /.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/--resume/);
    const sample = cli(['sample', '--run', out, '--n', '4', '--out', 'after-interrupt.png'], cwd);
    expect(sample.code, sample.stderr).toBe(0);
  });
});
