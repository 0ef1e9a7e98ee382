import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../test/helpers.js';
import { floatPixels, pixelRange } from '../data/pixels.js';
import type { Dataset } from '../data/types.js';
import { getModelDefinition } from '../models/registry.js';
import type { Autoencoder } from '../models/types.js';
import { Rng } from '../random.js';
import { holdOut, train } from './trainer.js';

beforeAll(async () => {
  await setup('cpu');
});

const DIM = 8;

/** n rows of standard normal noise: nothing to learn that carries over to other rows. */
function noise(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const values = Float32Array.from({ length: n * DIM }, () => rng.normal());
  return { name: 'noise', split: 'train', n, shape: [1, DIM, 1], pixels: floatPixels(values), labels: new Int32Array(n), numClasses: 1 };
}

/** A wide squared-error autoencoder: on a few dozen noise rows it memorizes, so held-out loss rises. */
function overfitter(seed: number): Autoencoder {
  const def = getModelDefinition('ae');
  const config = def.resolveConfig({ hidden: [128], latent: 6, loss: 'mse', activation: 'relu' }, { shape: [1, DIM, 1], numClasses: 1, domain: 'real', examples: 40 });
  return def.create(config, new Rng(seed));
}

/** Σ_j (x̂_j − x_j)² averaged over the rows, in float64 from the model's outputs: the ae's squared-error loss. */
function heldOutLoss(model: Autoencoder, ds: Dataset): number {
  const x = pixelRange(ds);
  const xt = tf.tensor2d(x, [ds.n, DIM]);
  const labels = tf.tensor1d(ds.labels, 'int32');
  const out = tf.tidy(() => model.decode(model.encode({ x: xt, labels }), labels).dataSync());
  tf.dispose([xt, labels]);
  let total = 0;
  for (let i = 0; i < ds.n * DIM; i++) total += (out[i]! - x[i]!) ** 2;
  return total / ds.n;
}

describe('early stopping on held-out rows', () => {
  it('holds out a seeded fraction, disjoint from the rows trained on', () => {
    const ds = noise(40, 1);
    const { fit, held } = holdOut(ds, 0.25, 3);
    expect([fit.n, held.n]).toEqual([30, 10]);
    const rows = (d: Dataset) => Array.from({ length: d.n }, (_, i) => Array.from(pixelRange(d).subarray(i * DIM, (i + 1) * DIM)).join());
    const all = new Set(rows(ds));
    const heldRows = new Set(rows(held));
    expect(rows(fit).every((r) => all.has(r) && !heldRows.has(r))).toBe(true);
    expect(rows(holdOut(ds, 0.25, 3).held)).toEqual(rows(held));
    expect(holdOut(ds, 0.01, 3).held.n).toBe(1);
    expect(() => holdOut(ds, 1, 3)).toThrow(/fraction/);
    expect(() => holdOut(noise(1, 1), 0.5, 3)).toThrow(/at least 2/);
  });

  it('ends with the weights of the epoch with the lowest held-out loss, checked by recomputing it', async () => {
    const before = tf.memory().numTensors;
    const ds = noise(40, 2);
    const model = overfitter(5);
    const restored: number[] = [];
    // A patience longer than the run: every epoch is trained, so the overfitting shows in the curve.
    const result = await train(model, ds, noise(20, 9), {
      epochs: 60,
      batchSize: 10,
      lr: 1e-2,
      seed: 4,
      validation: { fraction: 0.25, patience: 1000 },
      hooks: { restored: ({ best }) => void restored.push(best.epoch) },
    });
    const curve = result.metrics.map((m) => m.validation_loss);
    expect(curve).toHaveLength(60);
    const lowest = Math.min(...curve);
    const bestEpoch = curve.indexOf(lowest) + 1;
    expect(result.best).toEqual({ epoch: bestEpoch, loss: lowest });
    expect(restored).toEqual([bestEpoch]);
    // The setup overfits: the last epoch is well past the best.
    expect(bestEpoch).toBeLessThan(60);
    expect(curve[59]).toBeGreaterThan(lowest * 1.05);
    // The model now holds the best epoch's weights, not the last epoch's.
    const { held } = holdOut(ds, 0.25, 4);
    const recomputed = heldOutLoss(model, held);
    expect(Math.abs(recomputed - lowest) / lowest).toBeLessThan(1e-4);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('stops after `patience` epochs without a lower held-out loss', async () => {
    const before = tf.memory().numTensors;
    const model = overfitter(5);
    const result = await train(model, noise(40, 2), noise(20, 9), { epochs: 60, batchSize: 10, lr: 1e-2, seed: 4, validation: { fraction: 0.25, patience: 3 } });
    const curve = result.metrics.map((m) => m.validation_loss);
    expect(result.epochsCompleted).toBeLessThan(60);
    expect(result.epochsCompleted).toBe(result.best!.epoch + 3);
    // The three epochs after the best were no lower.
    for (const later of curve.slice(result.best!.epoch)) expect(later).toBeGreaterThanOrEqual(result.best!.loss);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
