import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../../test/helpers.js';
import { makeBatch, disposeBatch } from '../../data/batches.js';
import { loadDataset } from '../../data/load.js';
import { train } from '../../train/trainer.js';
import { Rng } from '../../random.js';
import { getModelDefinition } from '../registry.js';
import type { Batch, DataInfo } from '../types.js';
import type { Iwae } from './model.js';

beforeAll(async () => {
  await setup('cpu');
});

const data: DataInfo = { shape: [28, 28, 1], numClasses: 4 };

/** The K-sample bound per example, averaged: log (1/K) Σ_k w_k, from the model's importance weights. */
function bound(model: Iwae, batch: Batch, K: number, seed: number): number {
  return tf.tidy(() => {
    const logW = model.logImportanceWeights(batch, K, new Rng(seed));
    return tf.mean(tf.sub(tf.logSumExp(logW, 1), Math.log(K))).dataSync()[0]!;
  });
}

describe('the IWAE model', () => {
  it('has the VAE settings plus K, and refuses what its bound does not have', () => {
    const def = getModelDefinition('iwae');
    expect(def.resolveConfig({}, data)).toMatchObject({ model: 'iwae', samples: 5, beta: 1, decoder: 'bernoulli', hidden: [400], latent: 20 });
    expect(() => def.resolveConfig({ samples: 0 }, data)).toThrow(/^samples must be ≥ 1/);
    expect(() => def.resolveConfig({ beta: 4 }, data)).toThrow(/^beta must be 1 for model 'iwae'/);
    expect(() => def.resolveConfig({ klWarmup: 2 }, data)).toThrow(/^klWarmup must be 0/);
    expect(() => def.resolveConfig({ reconWeight: 1000 }, data)).toThrow(/^reconWeight does not apply/);
  });

  it('its loss is minus the K-sample bound of the same draws, and with K = 1 minus the ELBO', () => {
    const def = getModelDefinition('iwae');
    const x = tf.randomUniform([6, 784], 0, 1, 'float32', 3) as tf.Tensor2D;
    for (const K of [1, 7]) {
      const model = def.create(def.resolveConfig({ hidden: [16], latent: 3, samples: K }, data), new Rng(1)) as Iwae;
      const out = model.forward({ x }, { training: true, epoch: 1, rng: new Rng(9) });
      // Independent computation of the same quantity from the importance weights with the same seed.
      expect(out.loss.dataSync()[0]).toBeCloseTo(-bound(model, { x }, K, 9), 3);
      if (K === 1) expect(out.terms.iwae!.dataSync()[0]).toBeCloseTo(out.terms.elbo!.dataSync()[0]!, 4);
      else expect(out.terms.iwae!.dataSync()[0]).toBeLessThanOrEqual(out.terms.elbo!.dataSync()[0]! + 1e-4);
      tf.dispose([out.loss, out.z, out.recon, ...Object.values(out.terms)]);
      model.dispose();
    }
    x.dispose();
  });

  it('its gradient matches central finite differences of the loss (same draws)', () => {
    const def = getModelDefinition('iwae');
    const tiny: DataInfo = { shape: [2, 3, 1], numClasses: 2 };
    const model = def.create(def.resolveConfig({ hidden: [4], latent: 2, samples: 3 }, tiny), new Rng(5)) as Iwae;
    const x = tf.tensor2d([[0.1, 0.9, 0.5, 0.3, 0.7, 0.2], [0.8, 0.4, 0.6, 0.05, 0.95, 0.5]]);
    const lossOf = () => tf.tidy(() => model.forward({ x }, { training: true, epoch: 1, rng: new Rng(4) }).loss.dataSync()[0]!);
    const vars = model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => model.forward({ x }, { training: true, epoch: 1, rng: new Rng(4) }).loss, vars);
    let checked = 0;
    for (const v of vars) {
      const analytic = grads[v.name]!.dataSync();
      const values = v.dataSync().slice();
      for (const i of [0, values.length - 1]) {
        const h = 1e-2;
        const at = (delta: number) => {
          const copy = values.slice();
          copy[i] = values[i]! + delta;
          v.assign(tf.tensor(copy, v.shape));
          return lossOf();
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        v.assign(tf.tensor(values, v.shape));
        expect(Math.abs(numeric - analytic[i]!), `${v.name}[${i}]`).toBeLessThan(2e-2 * Math.max(1, Math.abs(analytic[i]!)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2 * 8);
    tf.dispose([value, x, ...Object.values(grads)]);
    model.dispose();
  });

  it('after training, its bound is ≥ the ELBO of the same weights and rises with K', async () => {
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 1000 });
    const testSet = await loadDataset('sprites', { split: 'test', limit: 200 });
    const def = getModelDefinition('iwae');
    const model = def.create(def.resolveConfig({ hidden: [64], latent: 4, samples: 5 }, data), new Rng(2)) as Iwae;
    const result = await train(model, trainSet, testSet, { epochs: 2, batchSize: 100, lr: 3e-3, seed: 1 });
    expect(result.metrics[1]!.test_iwae).toBeLessThan(result.metrics[0]!.test_iwae!);
    const batch = makeBatch(testSet, null, 0, 200);
    // Averaged over 200 examples and a few seeds, the estimates are ordered as the bounds are.
    const at = (K: number) => [11, 12, 13].reduce((s, seed) => s + bound(model, batch, K, seed), 0) / 3;
    const [elbo, k5, k50] = [at(1), at(5), at(50)];
    expect(k5).toBeGreaterThan(elbo);
    expect(k50).toBeGreaterThan(k5);
    disposeBatch(batch);
    model.dispose();
  }, 120_000);
});
