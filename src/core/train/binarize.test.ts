import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../test/helpers.js';
import { loadDataset } from '../data/load.js';
import { binarizedSplits, resumeJob, trainJob } from '../jobs/train.js';
import { MemoryRunStore } from '../run/store.js';
import { localEngine, type EngineFactory, type StepEngine } from './engine.js';
import { drawBernoulli } from './trainer.js';
import { pixelRange } from '../data/pixels.js';

beforeAll(async () => {
  await setup('cpu');
});

describe('binarized training', () => {
  it('drawBernoulli: 0/1 values whose mean is x, the same for a seed and different across seeds', () => {
    const n = 200_000;
    const draw = (seed: number) => {
      const x = new Float32Array(n).fill(0.3);
      drawBernoulli(x, n, seed);
      return x;
    };
    const a = draw(1);
    expect(a.every((v) => v === 0 || v === 1)).toBe(true);
    const mean = a.reduce((s, v) => s + v, 0) / n;
    // Binomial standard error √(0.3·0.7/n) ≈ 0.001: 5 of them.
    expect(Math.abs(mean - 0.3)).toBeLessThan(0.005);
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
    // Only the first `count` values change.
    const partial = new Float32Array(4).fill(0.5);
    drawBernoulli(partial, 2, 3);
    expect(Array.from(partial.subarray(2))).toEqual([0.5, 0.5]);
  });

  it('static thresholds both splits; dynamic draws the test split once and leaves the training split to the loop', async () => {
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 50 });
    const testSet = await loadDataset('sprites', { split: 'test', limit: 50 });
    const original = pixelRange(trainSet);
    const grey = original.some((v) => v > 0 && v < 1);
    expect(grey).toBe(true);
    const st = binarizedSplits({ trainSet, testSet }, 'static', 0);
    expect(pixelRange(st.trainSet).every((v, i) => v === (original[i]! >= 0.5 ? 1 : 0))).toBe(true);
    const dy = binarizedSplits({ trainSet, testSet }, 'dynamic', 0);
    expect(dy.trainSet).toBe(trainSet);
    expect(pixelRange(dy.testSet).every((v) => v === 0 || v === 1)).toBe(true);
    expect(pixelRange(binarizedSplits({ trainSet, testSet }, 'dynamic', 0).testSet)).toEqual(pixelRange(dy.testSet));
    expect(() => binarizedSplits({ trainSet, testSet, table: {} as never }, 'static', 0)).toThrow(/^binarize applies to images/);
  });

  it('--binarize dynamic: every batch the model sees is 0/1, drawn afresh; the run records it and resumes with it', async () => {
    const seen: { zeroOne: boolean; sum: number }[] = [];
    // An engine that looks at each batch before stepping (the trainer fills and binarizes it first).
    const watching: EngineFactory = async (request) => {
      const inner = await localEngine(request);
      const engine: StepEngine = {
        batch: inner.batch,
        workers: inner.workers,
        get names() {
          return inner.names;
        },
        step: (rows, ...rest) => {
          const x = inner.batch.x.subarray(0, rows * 784);
          seen.push({ zeroOne: x.every((v) => v === 0 || v === 1), sum: x.reduce((s, v) => s + v, 0) });
          return inner.step(rows, ...rest);
        },
        close: () => inner.close(),
      };
      return engine;
    };
    // One batch of the same 64 examples each epoch: only fresh draws make its sums differ.
    const request = { model: 'vae', dataset: 'sprites', limit: 64, batchSize: 64, epochs: 3, hidden: [16], latent: 2, binarize: 'dynamic' as const };
    const result = await trainJob(request, { engine: watching, pictures: false });
    expect(seen).toHaveLength(3);
    expect(seen.every((s) => s.zeroOne)).toBe(true);
    expect(new Set(seen.map((s) => s.sum)).size).toBe(3);
    expect(result.config.training.binarize).toBe('dynamic');
    result.model.dispose();

    const store = result.store as MemoryRunStore;
    seen.length = 0;
    const resumed = await resumeJob(store, { epochs: 4, engine: watching, pictures: false });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.zeroOne).toBe(true);
    resumed.model.dispose();
  }, 60_000);
});
