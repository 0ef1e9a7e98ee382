/**
 * The layering: the core (src/core) runs anywhere, so it imports nothing of
 * Node and nothing of the layers above it; `latentkit/browser` bundles for
 * the browser platform with no Node built-in, and trains a model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('test-helpers')).map((f) => path.join(dir, f));
}

describe('the core', () => {
  it('imports no Node built-in and nothing from node/, cli/, server/ or web/', () => {
    const offenders: string[] = [];
    for (const file of sources(path.join(ROOT, 'src/core'))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const target = spec!.startsWith('.') ? path.relative(path.join(ROOT, 'src'), path.resolve(path.dirname(file), spec!)) : spec!;
        if (spec!.startsWith('node:') || /^(node|cli|server|web)\//.test(target)) offenders.push(`${path.relative(ROOT, file)}: ${spec}`);
      }
      if (/\bprocess\.(env|stdout|stderr|exit)|\bBuffer\.|__dirname/.test(text)) offenders.push(`${path.relative(ROOT, file)}: uses a Node global`);
    }
    expect(offenders).toEqual([]);
  });

  it('bundles as latentkit/browser for the browser platform, with no Node built-in', async () => {
    const result = await build({ entryPoints: [path.join(ROOT, 'src/browser.ts')], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.endsWith('src/browser.ts'))).toBe(true);
    expect(inputs.filter((i) => i.startsWith('node:') || i.includes('/src/node/') || i.includes('/src/cli/'))).toEqual([]);
  }, 60_000);
});

describe('latentkit/browser', () => {
  it('trains a model on the cpu backend into a run kept in memory, which loads back and decodes the same', async () => {
    const lk = await import('../src/browser.js');
    expect(await lk.initBackend('cpu')).toBe('cpu');
    const epochs: number[] = [];
    const result = await lk.trainJob({ model: 'vae', dataset: 'sprites', limit: 512, epochs: 2, hidden: [32], latent: 2, batchSize: 64, lr: 3e-3 }, { onEpoch: (m) => epochs.push(m.test_loss), testLimit: 200 });
    expect(result.epochsCompleted).toBe(2);
    expect(epochs[1]).toBeLessThan(epochs[0]!);
    const store = result.store as InstanceType<typeof lk.MemoryRunStore>;
    for (const file of ['config.json', 'metrics.jsonl', 'model/encoder/model.json', 'model/decoder/weights.bin', 'checkpoint/state.json', 'samples/epoch-2-generated.png']) expect(store.files.has(file), file).toBe(true);
    const { model } = await lk.loadStoredRun(store);
    const z = tf.tensor2d([[0.5, -1]]);
    expect(Array.from(model.decode(z).dataSync())).toEqual(Array.from(result.model.decode(z).dataSync()));
    z.dispose();
    model.dispose();
    result.model.dispose();
  }, 120_000);
});
