import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasMnist, setup } from '../../../../test/helpers.js';
import { forEachBatch } from '../../data/batches.js';
import { UsageError } from '../../errors.js';
import { loadDataset } from '../../data/load.js';
import type { Dataset } from '../../data/types.js';
import { Rng } from '../../random.js';
import { train } from '../../train/trainer.js';
import { getModelDefinition } from '../registry.js';
import type { Autoencoder, DataInfo } from '../types.js';
import type { DaeConfig } from './config.js';
import { corruptBatch, parseNoise, type NoiseSpec } from './noise.js';

beforeAll(async () => {
  // wasm: the behaviour test trains two models; the noise checks are backend-independent.
  await setup('wasm');
});

/** A [rows, cols] batch of constant grey 0.5, so that every corrupted entry is visible. */
function grey(rows = 200, cols = 784): tf.Tensor2D {
  return tf.fill([rows, cols], 0.5) as tf.Tensor2D;
}

/** Per-row fractions of entries that differ from 0.5, and the values they took. */
function changes(noisy: tf.Tensor2D): { fractions: number[]; values: number[] } {
  const rows = noisy.arraySync();
  const values: number[] = [];
  const fractions = rows.map((row) => {
    const changed = row.filter((v) => v !== 0.5);
    values.push(...changed);
    return changed.length / row.length;
  });
  return { fractions, values };
}

describe('corruption', () => {
  it('mask:p zeroes round(p·d) entries of every example', () => {
    const { fractions, values } = changes(corruptBatch(grey(), { kind: 'mask', amount: 0.3 }, 1));
    for (const f of fractions) expect(Math.round(f * 784)).toBe(Math.round(0.3 * 784));
    expect(new Set(values)).toEqual(new Set([0]));
  });

  it('salt-pepper:p sets round(p·d) entries of every example to 0 or 1, half each', () => {
    const { fractions, values } = changes(corruptBatch(grey(), { kind: 'salt-pepper', amount: 0.2 }, 2));
    for (const f of fractions) expect(Math.round(f * 784)).toBe(Math.round(0.2 * 784));
    expect(new Set(values)).toEqual(new Set([0, 1]));
    // 200 × 157 fair coins: the share of 1s is 0.5 ± 0.003 (one standard deviation).
    expect(Math.abs(values.filter((v) => v === 1).length / values.length - 0.5)).toBeLessThan(0.012);
  });

  it('the chosen entries differ between examples (chosen at random, not a fixed pattern)', () => {
    const rows = corruptBatch(grey(2), { kind: 'mask', amount: 0.5 }, 3).arraySync();
    const same = rows[0].filter((v, i) => v === rows[1][i]).length / rows[0].length;
    expect(same).toBeGreaterThan(0.4);
    expect(same).toBeLessThan(0.6);
  });

  it('gaussian:σ adds zero-mean noise of variance σ², clipped to [0, 1] on request', () => {
    const x = grey(100);
    const noise = tf.sub(corruptBatch(x, { kind: 'gaussian', amount: 0.2 }, 4), x);
    const { mean, variance } = tf.moments(noise);
    // 78,400 draws: the standard error of the mean is 0.0007, of the variance 0.0002.
    expect(Math.abs(mean.dataSync()[0])).toBeLessThan(0.003);
    expect(variance.dataSync()[0]).toBeCloseTo(0.04, 3);
    const clipped = corruptBatch(x, { kind: 'gaussian', amount: 1 }, 4, { clip: true });
    expect(tf.min(clipped).dataSync()[0]).toBe(0);
    expect(tf.max(clipped).dataSync()[0]).toBe(1);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    for (const spec of [{ kind: 'mask', amount: 0.3 }, { kind: 'salt-pepper', amount: 0.3 }, { kind: 'gaussian', amount: 0.3 }] as NoiseSpec[]) {
      const x = tf.randomUniform([8, 50], 0, 1, 'float32', 5) as tf.Tensor2D;
      expect(corruptBatch(x, spec, 7).arraySync()).toEqual(corruptBatch(x, spec, 7).arraySync());
      expect(corruptBatch(x, spec, 7).arraySync()).not.toEqual(corruptBatch(x, spec, 8).arraySync());
    }
  });
});

describe('the DAE forward pass', () => {
  const data: DataInfo = { shape: [28, 28, 1], numClasses: 10 };
  const createDae = (noise: string) => {
    const def = getModelDefinition('dae');
    const config = def.resolveConfig({ hidden: [32], latent: 4, noise }, data) as DaeConfig;
    return { model: def.create(config, new Rng(1)), config };
  };

  it('encodes a freshly corrupted input while training, drawing the seed from ctx.rng, and the clean input otherwise', () => {
    for (const noise of ['mask:0.3', 'salt-pepper:0.2', 'gaussian:0.3']) {
      const { model, config } = createDae(noise);
      const x = tf.randomUniform([16, 784], 0, 1, 'float32', 9) as tf.Tensor2D;
      const clean = model.encode({ x }).arraySync();
      expect(model.forward({ x }, { training: false, epoch: 0, rng: new Rng(1) }).z.arraySync()).toEqual(clean);

      const rng = new Rng(42);
      const expected = model.encode({ x: corruptBatch(x, config.noise, new Rng(42).seed(), { clip: true }) }).arraySync();
      const first = model.forward({ x }, { training: true, epoch: 0, rng });
      expect(first.z.arraySync()).toEqual(expected);
      expect(first.z.arraySync()).not.toEqual(clean);
      // The next batch gets new noise.
      expect(model.forward({ x }, { training: true, epoch: 0, rng }).z.arraySync()).not.toEqual(expected);
      // The target stays the clean x: only `recon` is in the loss.
      expect(Object.keys(first.terms)).toEqual(['recon']);
      // Training steps leave no tensors behind (the first creates Adam's slots).
      const optimizer = tf.train.adam(1e-3);
      const step = () => optimizer.minimize(() => model.forward({ x }, { training: true, epoch: 0, rng }).loss, false, model.trainableVariables());
      step();
      const before = tf.memory().numTensors;
      step();
      expect(tf.memory().numTensors).toBe(before);
      optimizer.dispose();
      model.dispose();
    }
  });
});

/**
 * Squared error Σ(x̂ − x)² per example between the clean inputs and the
 * reconstructions of their corrupted versions (of the clean inputs when `noise` is null).
 */
function errorToClean(model: Autoencoder, ds: Dataset, noise: NoiseSpec | null, seed = 0): number {
  let sum = 0;
  let batchIndex = 0;
  forEachBatch(ds, 250, (batch) => {
    sum += tf.tidy(() => {
      const input = noise ? corruptBatch(batch.x, noise, seed + batchIndex++, { clip: true }) : batch.x;
      return tf.sum(tf.squaredDifference(model.decode(model.encode({ x: input })), batch.x)).dataSync()[0];
    });
  });
  return sum / ds.n;
}

describe(`denoising (${hasMnist ? 'MNIST' : 'sprites'})`, () => {
  it('the DAE reconstructs held-out corrupted inputs closer to the clean ones than an AE of the same size trained as long', async () => {
    const name = hasMnist ? 'mnist' : 'sprites';
    // An undertrained AE is smooth enough to denoise by accident; MNIST needs more images than sprites to get past that.
    const trainSet = await loadDataset(name, { split: 'train', limit: hasMnist ? 10_000 : 3000 });
    const testSet = await loadDataset(name, { split: 'test', limit: 500 });
    const data = { shape: trainSet.shape, numClasses: trainSet.numClasses };
    const noise = 'salt-pepper:0.3';
    const errors: Record<string, { noisy: number; clean: number }> = {};
    for (const modelName of ['ae', 'dae']) {
      const def = getModelDefinition(modelName);
      const input = { hidden: [128], latent: 16, ...(modelName === 'dae' ? { noise } : {}) };
      const model = def.create(def.resolveConfig(input, data), new Rng(6));
      // Small batches: many steps for the time, so both reconstruct clean images well.
      await train(model, trainSet, testSet, { epochs: 3, batchSize: 32, lr: 2e-3, seed: 6 });
      errors[modelName] = { noisy: errorToClean(model, testSet, parseNoise(noise), 1000), clean: errorToClean(model, testSet, null) };
      model.dispose();
    }
    console.info(
      `dae ${name}, ${noise} on held-out inputs: squared error to the clean image ${errors.dae.noisy.toFixed(2)} (dae) vs ${errors.ae.noisy.toFixed(2)} (ae); ` +
        `on clean inputs ${errors.dae.clean.toFixed(2)} vs ${errors.ae.clean.toFixed(2)}`,
    );
    // Measured: sprites 14.1 (dae) vs 61.9 (ae); MNIST 22.7 vs 51.5.
    expect(errors.dae.noisy).toBeLessThan(0.6 * errors.ae.noisy);
  });
});

describe('configuration', () => {
  const data: DataInfo = { shape: [28, 28, 1], numClasses: 10 };

  it('has the ae fields plus the parsed noise (default mask:0.3), and a saved config resolves to itself', () => {
    const def = getModelDefinition('dae');
    const config = def.resolveConfig({ hidden: [128], latent: 16 }, data);
    expect(config).toMatchObject({ model: 'dae', hidden: [128], latent: 16, loss: 'bce', noise: { kind: 'mask', amount: 0.3 } });
    expect(def.resolveConfig(JSON.parse(JSON.stringify(config)) as Record<string, unknown>, data)).toEqual(config);
    expect(def.resolveConfig({ noise: 'gaussian:0.5' }, data)).toMatchObject({ noise: { kind: 'gaussian', amount: 0.5 } });
    expect(def.resolveConfig({ noise: 'salt-pepper:0.1' }, data)).toMatchObject({ noise: { kind: 'salt-pepper', amount: 0.1 } });
  });

  it('refuses bad noise specs and options of other models with clear messages', () => {
    const def = getModelDefinition('dae');
    const bad: [string, RegExp][] = [
      ['mask', /^noise must be KIND:AMOUNT/],
      ['mask:0.3:1', /^noise must be KIND:AMOUNT/],
      ['blur:0.3', /unknown kind 'blur'/],
      ['mask:', /the amount after ':' must be a number/],
      ['mask:lots', /the amount after ':' must be a number/],
      ['mask:0', /fraction p of mask noise must be > 0 and < 1/],
      ['mask:1', /fraction p of mask noise must be > 0 and < 1/],
      ['salt-pepper:1.5', /fraction p of salt-pepper noise must be > 0 and < 1/],
      ['gaussian:0', /σ of gaussian noise must be > 0/],
      ['gaussian:-0.2', /σ of gaussian noise must be > 0/],
    ];
    for (const [noise, message] of bad) expect(() => def.resolveConfig({ noise }, data), noise).toThrow(message);
    expect(() => def.resolveConfig({ noise: 'mask:2' }, data)).toThrow(UsageError);
    expect(() => def.resolveConfig({ contractiveWeight: 0.1 }, data)).toThrow(/^contractiveWeight is not an option of model 'dae'/);
    expect(() => def.resolveConfig({ beta: 2 }, data)).toThrow(/^beta is not an option of model 'dae'/);
  });
});
