import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup, tempDir } from '../../../../test/helpers.js';
import { disposeBatch, makeBatch } from '../../data/batches.js';
import { loadDataset } from '../../data/load.js';
import type { Dataset } from '../../data/types.js';
import { evaluateLoss } from '../../eval/loss.js';
import { loadNetwork, saveNetwork } from '../../../node/files/tfjs-files.js';
import { Rng } from '../../random.js';
import { train } from '../../train/trainer.js';
import { getModelDefinition } from '../registry.js';
import type { SaeConfig } from './config.js';
import { hiddenActivationsView, type Sae } from './model.js';
import { klSparsity, l1Sparsity, l2Sparsity, sparsityPenalty } from './sparsity.js';
import { kSparse, topKMask } from './topk.js';

const data = { shape: [28, 28, 1] as [number, number, number], numClasses: 10 };
let trainSet: Dataset;
let testSet: Dataset;

beforeAll(async () => {
  await setup('cpu');
  // Small enough for the cpu backend: each training run below takes seconds.
  trainSet = await loadDataset('sprites', { split: 'train', limit: 1000 });
  testSet = await loadDataset('sprites', { split: 'test', limit: 300 });
});

function createSae(input: Record<string, unknown>, seed = 0): Sae {
  const def = getModelDefinition('sae');
  return def.create(def.resolveConfig(input, data), new Rng(seed)) as unknown as Sae;
}

/** Values as plain numbers, with −0 read as 0 (a masked gradient may be −0). */
function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync(), (v) => v + 0);
}

/** Short runs: a higher rate than the CLI's 1e-3 so that one or two epochs of 1,000 images show the effect. */
const trainOptions = { batchSize: 50, lr: 3e-3 };

function nonZerosPerRow(z: tf.Tensor2D): number[] {
  return z.arraySync().map((row) => row.filter((v) => v !== 0).length);
}

/** Mean activation of every hidden unit over the test set, per hidden layer. */
function meanActivations(model: Sae, ds: Dataset): number[][] {
  const view = hiddenActivationsView(model.networks.encoder, model.config.hidden.length);
  const batch = makeBatch(ds, null, 0, ds.n);
  const means = tf.tidy(() => (view.apply(batch.x) as tf.Tensor[]).slice(1).map((h) => Array.from(tf.mean(h, 0).dataSync())));
  disposeBatch(batch);
  return means;
}

/** Per hidden layer: mean over examples of Σ_units h², computed in plain JavaScript. */
function meanSquaredSums(model: Sae, x: tf.Tensor2D): number[] {
  const view = hiddenActivationsView(model.networks.encoder, model.config.hidden.length);
  const layers = tf.tidy(() => (view.apply(x) as tf.Tensor2D[]).slice(1).map((h) => h.arraySync()));
  return layers.map((rows) => rows.reduce((sum, row) => sum + row.reduce((s, v) => s + v * v, 0), 0) / rows.length);
}

describe('the top-k code step', () => {
  it('keeps exactly K entries per row, the largest in absolute value, even with ties', () => {
    const code = tf.tensor2d([
      [0.5, -2, 0.1, 3],
      [1, -1, 1, 0.5],
    ]);
    expect(topKMask(code, 2).arraySync()).toEqual([
      [0, 1, 0, 1],
      [1, 1, 0, 0],
    ]);
    expect(kSparse(code, 2).arraySync()).toEqual([
      [0, -2, 0, 3],
      [1, -1, 0, 0],
    ]);
  });

  it('passes the upstream gradient through kept units and zero through dropped ones', () => {
    const code = tf.tensor2d([
      [0.5, -2, 0.1, 3],
      [-4, 0.2, 1, 0.3],
    ]);
    const dy = tf.tensor2d([
      [0.7, -1.3, 2.1, 0.4],
      [1.5, -0.6, 0.9, -2.2],
    ]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(kSparse(x as tf.Tensor2D, 2), dy)))(code);
    // Kept: −2 and 3 in row 0, −4 and 1 in row 1 (flat indices 1, 3, 4, 6).
    expect(values(grad)).toEqual(values(dy).map((g, i) => ([1, 3, 4, 6].includes(i) ? g : 0)));
  });

  it('sends gradient to the encoder only through the kept code units', () => {
    const model = createSae({ hidden: [8], latent: 5, k: 2 }, 3);
    const x = tf.randomUniform([1, 784], 0, 1, 'float32', 4) as tf.Tensor2D;
    const upstream = tf.tensor2d([[1.5, -0.5, 2, 0.25, -1]]);
    const codeLayer = model.networks.encoder.getLayer('code');
    const [kernel, bias] = codeLayer.trainableWeights.map((w) => w.read() as tf.Variable);
    const hiddenKernel = model.networks.encoder.getLayer('encoder_dense1').trainableWeights[0].read() as tf.Variable;
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.forward({ x }, { training: true, epoch: 0, rng: new Rng(0) }).z, upstream)), [kernel, bias, hiddenKernel]);
    const mask = values(topKMask(model.networks.encoder.predict(x) as tf.Tensor2D, 2));
    // z = mask·(h W + b), so ∂/∂b = upstream·mask and the kernel columns of dropped units get nothing.
    expect(values(grads[bias.name])).toEqual(values(upstream).map((u, j) => u * mask[j] + 0));
    const kernelGrad = grads[kernel.name].arraySync() as number[][];
    for (let j = 0; j < 5; j++) {
      const column = kernelGrad.map((row) => row[j]);
      if (mask[j] === 0) expect(column.every((g) => g === 0)).toBe(true);
      else expect(column.some((g) => g !== 0)).toBe(true);
    }
    // …and on through the kept units into the first layer.
    expect(tf.sum(tf.abs(grads[hiddenKernel.name])).dataSync()[0]).toBeGreaterThan(0);
    model.dispose();
  });
});

describe('a k-sparse autoencoder on sprites', () => {
  it('after training, every code of real data has exactly K non-zeros, in forward and in encode', async () => {
    const model = createSae({ hidden: [32], latent: 16, k: 4 }, 1);
    const before = evaluateLoss(model, testSet).terms.recon;
    const result = await train(model, trainSet, testSet, { ...trainOptions, epochs: 1, seed: 1 });
    expect(result.metrics[0].test_recon).toBeLessThan(before - 50);
    const batch = makeBatch(testSet, null, 0, 200);
    tf.tidy(() => {
      expect(nonZerosPerRow(model.encode(batch)).every((n) => n === 4)).toBe(true);
      const out = model.forward(batch, { training: true, epoch: 2, rng: new Rng(0) });
      expect(nonZerosPerRow(out.z).every((n) => n === 4)).toBe(true);
      expect(Object.keys(out.terms)).toEqual(['recon']);
    });
    disposeBatch(batch);
    model.dispose();
  });
});

describe('sparsity penalties', () => {
  // Two examples of two units with mean activations ρ̂ = [0.2, 0.05].
  const h = () =>
    tf.tensor2d([
      [0.3, 0.1],
      [0.1, 0.0],
    ]);
  const kl = (rho: number, rhoHat: number) => rho * Math.log(rho / rhoHat) + (1 - rho) * Math.log((1 - rho) / (1 - rhoHat));

  it('kl is Σ_units KL(ρ ‖ ρ̂) of the batch-mean activations', () => {
    expect(klSparsity(h(), 0.1).dataSync()[0]).toBeCloseTo(kl(0.1, 0.2) + kl(0.1, 0.05), 5);
    // Zero at the target, and finite when a unit is dead over the whole batch.
    expect(klSparsity(tf.fill([3, 2], 0.1) as tf.Tensor2D, 0.1).dataSync()[0]).toBeCloseTo(0, 6);
    expect(Number.isFinite(klSparsity(tf.zeros([3, 2]) as tf.Tensor2D, 0.1).dataSync()[0])).toBe(true);
  });

  it('l1 and l2 are the batch means of Σ_units |h| and Σ_units h²', () => {
    const signed = tf.tensor2d([
      [0.3, -0.1],
      [-0.1, 0.0],
    ]);
    expect(l1Sparsity(signed).dataSync()[0]).toBeCloseTo((0.3 + 0.1 + (0.1 + 0)) / 2, 6);
    expect(l2Sparsity(signed).dataSync()[0]).toBeCloseTo((0.09 + 0.01 + (0.01 + 0)) / 2, 6);
  });

  it('weighs each layer by its own weight; the reported term is the unweighted sum', () => {
    const second = tf.tensor2d([
      [0.5, 0.3, 0.1],
      [0.1, 0.1, 0.1],
    ]); // ρ̂ = [0.3, 0.2, 0.1]
    const s1 = kl(0.1, 0.2) + kl(0.1, 0.05);
    const s2 = kl(0.1, 0.3) + kl(0.1, 0.2) + kl(0.1, 0.1);
    const { value, weighted } = sparsityPenalty({ kind: 'kl', rho: 0.1 }, [h(), second], [2, 0.5]);
    expect(value.dataSync()[0]).toBeCloseTo(s1 + s2, 5);
    expect(weighted.dataSync()[0]).toBeCloseTo(2 * s1 + 0.5 * s2, 5);
    const l1 = sparsityPenalty({ kind: 'l1', rho: null }, [h(), second], [2, 0.5]);
    expect(l1.weighted.dataSync()[0]).toBeCloseTo(2 * ((0.4 + 0.1) / 2) + 0.5 * ((0.9 + 0.3) / 2), 5);
  });

  it('the model adds Σ_layers weight·penalty of its hidden activations to the reconstruction', () => {
    const model = createSae({ hidden: [16, 8], latent: 4, sparsity: 'l2', sparsityWeight: [0.3, 2] }, 2);
    expect(model.config.sparsityWeight).toEqual([0.3, 2]);
    const batch = makeBatch(testSet, null, 0, 16);
    const [l1, l2] = meanSquaredSums(model, batch.x);
    tf.tidy(() => {
      const out = model.forward(batch, { training: false, epoch: 0, rng: new Rng(0) });
      const [loss, recon, sparsity] = [out.loss, out.terms.recon, out.terms.sparsity].map((t) => t.dataSync()[0]);
      expect(sparsity).toBeCloseTo(l1 + l2, 3);
      expect(loss - recon).toBeCloseTo(0.3 * l1 + 2 * l2, 3);
    });
    disposeBatch(batch);
    model.dispose();
  });
});

describe('training with the KL penalty', () => {
  it('brings the mean activations of sigmoid units toward ρ', async () => {
    const rho = 0.05;
    const distances: number[] = [];
    // Weight 0 trains the same network on reconstruction alone (the term is still computed).
    for (const weight of [0, 3]) {
      const model = createSae({ hidden: [32], latent: 8, sparsity: 'kl', rho, sparsityWeight: [weight] }, 5);
      await train(model, trainSet, testSet, { ...trainOptions, epochs: 2, seed: 5 });
      const means = meanActivations(model, testSet)[0];
      distances.push(means.reduce((s, m) => s + Math.abs(m - rho), 0) / means.length);
      model.dispose();
    }
    const [without, withKl] = distances;
    expect(withKl).toBeLessThan(without / 3);
    expect(withKl).toBeLessThan(0.05);
  });
});

describe('configuration', () => {
  const def = () => getModelDefinition('sae');

  it('completes the defaults', () => {
    const k = def().resolveConfig({ k: 10 }, data) as SaeConfig;
    expect(k).toMatchObject({ k: 10, sparsity: null, rho: null, sparsityWeight: [], hidden: [512, 256], latent: 32, activation: 'relu', loss: 'bce' });
    const kl = def().resolveConfig({ sparsity: 'kl' }, data) as SaeConfig;
    expect(kl).toMatchObject({ k: null, sparsity: 'kl', rho: 0.05, sparsityWeight: [0.1, 0.1], activation: 'sigmoid' });
    const l1 = def().resolveConfig({ sparsity: 'l1', hidden: [64], k: 3, sparsityWeight: [0.5] }, data) as SaeConfig;
    expect(l1).toMatchObject({ k: 3, sparsity: 'l1', rho: null, sparsityWeight: [0.5] });
  });

  it('refuses bad settings with a clear message', () => {
    const resolve = (input: Record<string, unknown>) => () => def().resolveConfig(input, data);
    expect(resolve({})).toThrow(/^k or sparsity is needed: model 'sae' needs a sparsity constraint/);
    expect(resolve({ k: 40, latent: 32 })).toThrow('k 40 is larger than latent 32');
    expect(resolve({ k: 0 })).toThrow(/k must be ≥ 1, got 0/);
    expect(resolve({ sparsity: 'kl', rho: 1.5 })).toThrow(/rho must be < 1, got 1.5/);
    expect(resolve({ sparsity: 'kl', rho: 0 })).toThrow(/rho must be > 0, got 0/);
    expect(resolve({ k: 3, rho: 0.1 })).toThrow(/rho is the target mean activation of sparsity kl/);
    expect(resolve({ sparsity: 'l1', sparsityWeight: [0.1, 0.2, 0.3] })).toThrow(/has 3 weights but the encoder has 2 hidden layers/);
    expect(resolve({ sparsity: 'l1', sparsityWeight: [0.1, 'x'] })).toThrow(/sparsityWeight item 2 must be a number, got 'x'/);
    expect(resolve({ sparsity: 'l1', sparsityWeight: [-1] })).toThrow(/sparsityWeight item 1 must be ≥ 0/);
    expect(resolve({ k: 3, sparsityWeight: [0.1] })).toThrow(/sparsityWeight weighs the sparsity penalty/);
    expect(resolve({ sparsity: 'kl', activation: 'relu' })).toThrow(/needs sigmoid hidden units \(activation sigmoid\), got activation relu/);
    expect(resolve({ sparsity: 'l3' })).toThrow(/sparsity must be one of kl, l1, l2/);
    expect(resolve({ k: 3, beta: 1 })).toThrow(/^beta is not an option of model 'sae'/);
  });
});

describe('save and reload', () => {
  it('gives identical encode and decode outputs', async () => {
    const d = getModelDefinition('sae');
    const model = d.create(d.resolveConfig({ hidden: [32, 16], latent: 6, k: 3, sparsity: 'kl', sparsityWeight: [0.2, 0.1] }, data), new Rng(4));
    const dir = tempDir();
    const loaded: Record<string, LayersModel> = {};
    for (const [name, net] of Object.entries(model.networks)) {
      await saveNetwork(net, `${dir}/${name}`);
      loaded[name] = await loadNetwork(`${dir}/${name}`);
    }
    // The saved encoder is the plain autoencoder's: one output, the code.
    expect(loaded.encoder.outputs).toHaveLength(1);
    const reloaded = d.restore(model.config, loaded);
    const batch = makeBatch(testSet, null, 0, 8);
    const z = tf.randomNormal([4, 6], 0, 1, 'float32', 5) as tf.Tensor2D;
    tf.tidy(() => {
      expect(Array.from(reloaded.encode(batch).dataSync())).toEqual(Array.from(model.encode(batch).dataSync()));
      expect(Array.from(reloaded.decode(z).dataSync())).toEqual(Array.from(model.decode(z).dataSync()));
      const ctx = { training: false, epoch: 1, rng: new Rng(0) };
      expect(reloaded.forward(batch, ctx).terms.sparsity.dataSync()[0]).toBe(model.forward(batch, ctx).terms.sparsity.dataSync()[0]);
    });
    z.dispose();
    disposeBatch(batch);
    model.dispose();
    reloaded.dispose();
  });
});
