import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasMnist, setup, tempDir } from '../../../test/helpers.js';
import { makeBatch } from '../data/batches.js';
import { loadDataset } from '../data/load.js';
import { takeFirst } from '../data/load.js';
import { evaluateLoss } from '../eval/loss.js';
import { getModelDefinition } from '../models/registry.js';
import { Rng } from '../random.js';
import { loadRun, readMetrics } from '../../node/run/run-folder.js';
import { createEngine } from '../../node/parallel/engines.js';
import { trainRun } from '../../node/run/train-run.js';
import { createOptimizer } from './optimizer.js';
import { train } from './trainer.js';
import { floatPixels, pixelRange } from '../data/pixels.js';

beforeAll(async () => {
  await setup('wasm');
});

describe.skipIf(!hasMnist)('training the VAE on MNIST', () => {
  it('one epoch on 2,000 images lowers the test loss, without leaking tensors', async () => {
    const trainSet = takeFirst(await loadDataset('mnist', { split: 'train' }), 2000);
    const testSet = takeFirst(await loadDataset('mnist', { split: 'test' }), 1000);
    const def = getModelDefinition('vae');
    const model = def.create(def.resolveConfig({}, { shape: trainSet.shape, numClasses: 10 }), new Rng(1));
    const before = evaluateLoss(model, testSet).loss;
    // 2,000 images: roughly where the reference VAE starts (≈ 543 nats = 784·ln 2 for p = ½).
    expect(before).toBeGreaterThan(400);
    const tensorsAfterEpoch: number[] = [];
    const result = await train(model, trainSet, testSet, {
      epochs: 3,
      batchSize: 128,
      lr: 1e-3,
      seed: 1,
      onEpoch: () => tensorsAfterEpoch.push(tf.memory().numTensors),
    });
    expect(result.metrics[0].test_loss).toBeLessThan(before - 100);
    expect(result.metrics[2].test_loss).toBeLessThan(result.metrics[0].test_loss);
    expect(result.metrics[0].test_loss).toBeCloseTo(result.metrics[0].test_recon + result.metrics[0].test_kl, 3);
    // Flat tensor count across epochs: nothing leaks per step or per evaluation.
    expect(tensorsAfterEpoch[2]).toBe(tensorsAfterEpoch[0]);
    model.dispose();
  });
});

describe('run folders', () => {
  it('the same seed gives the same run, and save then load gives the same outputs', async () => {
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 600 });
    const testSet = await loadDataset('sprites', { split: 'test' });
    const runs = [tempDir(), tempDir()];
    const results = [];
    for (const dir of runs) {
      const result = await trainRun({ model: 'vae', dataset: 'sprites', limit: trainSet.n, hidden: [64], latent: 4, seed: 7, epochs: 2, batchSize: 64, backend: 'wasm' }, { out: dir });
      results.push(result);
      result.model.dispose();
    }
    expect(results[0].metrics.map((m) => m.test_loss)).toEqual(results[1].metrics.map((m) => m.test_loss));
    const files = ['config.json', 'metrics.jsonl', 'model/encoder/model.json', 'model/decoder/weights.bin', 'samples/epoch-2-generated.png', 'samples/epoch-2-reconstructed.png'];
    for (const f of files) expect(fs.existsSync(path.join(runs[0], f)), f).toBe(true);
    expect((await readMetrics(runs[0])).map((m) => m.epoch)).toEqual([1, 2]);

    const a = await loadRun(runs[0]);
    const b = await loadRun(runs[0]);
    const z = tf.randomNormal([5, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
    const outA = a.model.decode(z).dataSync();
    const outB = b.model.decode(z).dataSync();
    expect(Array.from(outA)).toEqual(Array.from(outB));
    // The trainer evaluates with seed + 1; the same seed must give the same number from the reloaded model.
    const lossA = evaluateLoss(a.model, testSet, { seed: 8 }).loss;
    expect(lossA).toBeCloseTo(results[0].metrics[1].test_loss, 4);
    z.dispose();
    a.model.dispose();
    b.model.dispose();
  });
});

describe('the step loop', () => {
  it('matches the per-step loop it replaced bit for bit (one thread)', async () => {
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 450 });
    const testSet = await loadDataset('sprites', { split: 'test', limit: 100 });
    const def = getModelDefinition('vae');
    const config = def.resolveConfig({ hidden: [32], latent: 3 }, { shape: trainSet.shape, numClasses: trainSet.numClasses });
    const fast = def.create(config, new Rng(2));
    const result = await train(fast, trainSet, testSet, { epochs: 2, batchSize: 64, lr: 1e-3, seed: 5, workers: 1 });

    // The previous loop: a fresh batch per step and a synchronous read of every loss.
    const slow = def.create(config, new Rng(2));
    const rng = new Rng(5);
    const optimizer = createOptimizer(1e-3);
    const steps = Math.ceil(trainSet.n / 64);
    const trainLoss: number[] = [];
    for (let epoch = 1; epoch <= 2; epoch++) {
      const order = rng.permutation(trainSet.n);
      let sum = 0;
      for (let step = 0; step < steps; step++) {
        const start = step * 64;
        const end = Math.min(trainSet.n, start + 64);
        const batch = makeBatch(trainSet, order, start, end);
        const loss = optimizer.minimize(() => slow.forward(batch, { training: true, epoch: epoch - 1 + step / steps, rng }).loss, true, slow.trainableVariables())!;
        sum += loss.dataSync()[0] * (end - start);
        tf.dispose([loss, batch.x, batch.labels!]);
      }
      trainLoss.push(sum / trainSet.n);
    }
    optimizer.dispose();
    expect(result.metrics.map((m) => m.train_loss)).toEqual(trainLoss);
    const a = fast.trainableVariables().map((v) => Array.from(v.dataSync()));
    const b = slow.trainableVariables().map((v) => Array.from(v.dataSync()));
    expect(a).toEqual(b);
    fast.dispose();
    slow.dispose();
  });

  for (const workers of [1, 2]) {
    it(`a NaN stops at its exact step with ${workers} worker${workers > 1 ? 's' : ''}, although losses are read in groups`, async () => {
      const loaded = await loadDataset('sprites', { split: 'train', limit: 600 });
      const testSet = await loadDataset('sprites', { split: 'test', limit: 100 });
      const poisonedRow = 321;
      // A NaN is no byte: the poisoned copy holds floats.
      const x = pixelRange(loaded);
      x[poisonedRow * 784 + 100] = Number.NaN;
      const trainSet = { ...loaded, pixels: floatPixels(x) };
      // The trainer's first draw is epoch 1's shuffle.
      const position = new Rng(9).permutation(600).indexOf(poisonedRow);
      const expectedStep = Math.floor(position / 50) + 1;
      const def = getModelDefinition('ae');
      const model = def.create(def.resolveConfig({ hidden: [16], latent: 2 }, { shape: trainSet.shape, numClasses: 1 }), new Rng(1));
      const attempt = train(model, trainSet, testSet, { epochs: 2, batchSize: 50, lr: 1e-3, seed: 9, workers, engine: createEngine });
      await expect(attempt).rejects.toThrow(new RegExp(`at epoch 1, step ${expectedStep};`));
      model.dispose();
    });
  }

  it('maxSteps stops after that many steps, across epochs, without evaluating the partial epoch', async () => {
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 200 });
    const testSet = await loadDataset('sprites', { split: 'test', limit: 100 });
    const def = getModelDefinition('ae');
    const model = def.create(def.resolveConfig({ hidden: [16], latent: 2 }, { shape: trainSet.shape, numClasses: 1 }), new Rng(1));
    const before = tf.memory().numTensors;
    // 4 steps per epoch: 6 steps end inside epoch 2.
    const result = await train(model, trainSet, testSet, { epochs: 5, batchSize: 50, lr: 1e-3, seed: 1, maxSteps: 6, workers: 2, engine: createEngine });
    expect(result.steps).toBe(6);
    expect(result.metrics.map((m) => m.epoch)).toEqual([1]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
