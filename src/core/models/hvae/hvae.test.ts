import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../../test/helpers.js';
import { disposeBatch, makeBatch } from '../../data/batches.js';
import { loadDataset } from '../../data/load.js';
import { Rng } from '../../random.js';
import type { RunConfig } from '../../run/config.js';
import { restoreModel, saveModel } from '../../run/run.js';
import { MemoryRunStore } from '../../run/store.js';
import { train } from '../../train/trainer.js';
import { getModelDefinition } from '../registry.js';
import type { Batch, DataInfo } from '../types.js';
import type { HvaeConfig } from './config.js';
import { drawNoise, type Hvae } from './model.js';

beforeAll(async () => {
  await setup('wasm');
});

const mnist: DataInfo = { shape: [28, 28, 1], numClasses: 10 };
/** Six pixels: small enough to recompute every network by hand. */
const tiny: DataInfo = { shape: [2, 3, 1], numClasses: 2 };
/** tanh, which the float64 reference recomputes. */
const TINY = { hidden: [3], hidden2: [2], latent: 3, latent2: 2, activation: 'tanh' };

function build(input: Record<string, unknown>, data: DataInfo, seed = 1): Hvae {
  const def = getModelDefinition('hvae');
  return def.create(def.resolveConfig(input, data), new Rng(seed)) as Hvae;
}

// ---- float64 reference: the networks recomputed from their weights ----

type Vec = number[];

/** x·W + b with W [in, out] stored row-major, in float64. */
function dense(net: LayersModel, layer: string, x: Vec): Vec {
  const [w, b] = net.getLayer(layer).getWeights().map((t) => Array.from(t.dataSync()));
  return b.map((bias, j) => x.reduce((s, xi, i) => s + xi * w[i * b.length + j], bias));
}

const tanh = (v: Vec) => v.map(Math.tanh);
const sum = (v: Vec) => v.reduce((s, a) => s + a, 0);

/** One tanh hidden layer, then the mean and log-variance heads. */
function gaussianHeads(net: LayersModel, prefix: string, mu: string, logVar: string, x: Vec): { mu: Vec; logVar: Vec } {
  const h = tanh(dense(net, `${prefix}_dense1`, x));
  return { mu: dense(net, mu, h), logVar: dense(net, logVar, h) };
}

function logNormal(z: Vec, mu: Vec, logVar: Vec): number {
  return sum(z.map((zi, i) => -0.5 * (Math.log(2 * Math.PI) + logVar[i] + (zi - mu[i]) ** 2 / Math.exp(logVar[i]))));
}

const draw = (mu: Vec, logVar: Vec, eps: Vec) => mu.map((m, i) => m + Math.exp(0.5 * logVar[i]) * eps[i]);

/** log p(x|z1) for a Bernoulli decoder, or a Gaussian one of fixed σ. */
function logPxByHand(model: Hvae, z1: Vec, x: Vec): number {
  const out = dense(model.networks.decoder, 'decoder_preact', tanh(dense(model.networks.decoder, 'decoder_dense1', z1)));
  if (model.config.decoder === 'bernoulli') {
    return sum(out.map((l, i) => x[i] * Math.log(1 / (1 + Math.exp(-l))) + (1 - x[i]) * Math.log(1 - 1 / (1 + Math.exp(-l)))));
  }
  const sigma = model.config.sigma as number;
  return sum(out.map((m, i) => -0.5 * (Math.log(2 * Math.PI * sigma * sigma) + (x[i] - m) ** 2 / (sigma * sigma))));
}

/** The five log-densities of one joint draw, and the top KL in closed form, all in float64. */
function byHand(model: Hvae, x: Vec, eps1: Vec, eps2: Vec) {
  const { encoder, encoder2, decoder2 } = model.networks;
  const q1 = gaussianHeads(encoder, 'encoder', 'mu', 'log_var', x);
  const z1 = draw(q1.mu, q1.logVar, eps1);
  const q2 = gaussianHeads(encoder2, 'encoder2', 'encoder2_mu', 'encoder2_log_var', z1);
  const z2 = draw(q2.mu, q2.logVar, eps2);
  const p1 = gaussianHeads(decoder2, 'decoder2', 'decoder2_mu', 'decoder2_log_var', z2);
  const logPz2 = sum(z2.map((v) => -0.5 * (Math.log(2 * Math.PI) + v * v)));
  const kl2 = 0.5 * sum(q2.mu.map((m, i) => m * m + Math.exp(q2.logVar[i]) - 1 - q2.logVar[i]));
  return {
    logPx: logPxByHand(model, z1, x),
    logPz1: logNormal(z1, p1.mu, p1.logVar),
    logPz2,
    logQz1: logNormal(z1, q1.mu, q1.logVar),
    logQz2: logNormal(z2, q2.mu, q2.logVar),
    kl2,
  };
}

const rows = (t: tf.Tensor): number[][] => t.arraySync() as number[][];
const X = [
  [0.1, 0.9, 0.5, 0.3, 0.7, 0.2],
  [0.8, 0.4, 0.6, 0.05, 0.95, 0.5],
];

describe('hvae settings', () => {
  it("defaults to Burda et al.'s two-layer MNIST network, the code z1 and z2 half its size", () => {
    const def = getModelDefinition('hvae');
    const config = def.resolveConfig({}, mnist) as HvaeConfig;
    expect(config).toMatchObject({ model: 'hvae', hidden: [200, 200], latent: 100, latent2: 50, hidden2: [100, 100], activation: 'relu', beta: 1, decoder: 'bernoulli' });
    expect(def.resolveConfig({ latent: 7 }, mnist)).toMatchObject({ latent: 7, latent2: 4 });
    const model = def.create(config, new Rng(0)) as Hvae;
    const params = model.trainableVariables().reduce((n, v) => n + v.size, 0);
    const layer = (i: number, o: number) => i * o + o;
    const encoder = layer(784, 200) + layer(200, 200) + 2 * layer(200, 100);
    const encoder2 = layer(100, 100) + layer(100, 100) + 2 * layer(100, 50);
    const decoder2 = layer(50, 100) + layer(100, 100) + 2 * layer(100, 100);
    const decoder = layer(100, 200) + layer(200, 200) + layer(200, 784);
    expect(params).toBe(encoder + encoder2 + decoder2 + decoder);
    expect(Object.keys(model.networks).sort()).toEqual(['decoder', 'decoder2', 'encoder', 'encoder2']);
    model.dispose();
  });

  it('refuses bad settings with one message naming the field', () => {
    const def = getModelDefinition('hvae');
    expect(() => def.resolveConfig({ latent2: 0 }, mnist)).toThrow(/^latent2 must be ≥ 1, got 0/);
    expect(() => def.resolveConfig({ hidden2: [] }, mnist)).toThrow(/^hidden2 needs at least 1 item/);
    expect(() => def.resolveConfig({ hidden2: [100, 0] }, mnist)).toThrow(/^hidden2/);
    expect(() => def.resolveConfig({ reconWeight: 1000 }, mnist)).toThrow(/^reconWeight does not apply to model 'hvae'/);
    expect(() => def.resolveConfig({ sigma: 0.5 }, mnist)).toThrow(/^sigma applies only to decoder gaussian/);
    expect(() => def.resolveConfig({ samples: 5 }, mnist)).toThrow(/^samples is not an option of model 'hvae'/);
  });
});

describe('hvae densities, against a float64 recomputation of the networks', () => {
  for (const decoder of [{}, { decoder: 'gaussian', sigma: 0.5 }]) {
    it(`log importance weights are the five log-densities of fixed ε (${decoder.decoder ?? 'bernoulli'} decoder)`, () => {
      const model = build({ ...TINY, ...decoder }, tiny, 3);
      const batch: Batch = { x: tf.tensor2d(X) };
      const S = 3;
      const noise = drawNoise(model.config, 2, S, new Rng(8));
      const [e1, e2] = [rows(noise.eps1), rows(noise.eps2)];
      const draws = tf.tidy(() => {
        const d = model.jointDraws(batch, S, noise);
        return { logPx: d.logPx.arraySync(), logPz1: d.logPz1.arraySync(), logPz2: d.logPz2.arraySync(), logQz1: d.logQz1.arraySync(), logQz2: d.logQz2.arraySync() };
      });
      const logW = rows(model.logImportanceWeights(batch, S, new Rng(8)));
      for (let i = 0; i < 2; i++) {
        for (let s = 0; s < S; s++) {
          const r = i * S + s; // rows [iS, (i+1)S) are example i's draws
          const want = byHand(model, X[i], e1[r], e2[r]);
          for (const k of ['logPx', 'logPz1', 'logPz2', 'logQz1', 'logQz2'] as const) expect(draws[k][r], `${k}[${i}, ${s}]`).toBeCloseTo(want[k], 4);
          expect(logW[i][s]).toBeCloseTo(want.logPx + want.logPz1 + want.logPz2 - want.logQz1 - want.logQz2, 4);
        }
      }
      tf.dispose([batch.x, noise.eps1, noise.eps2]);
      model.dispose();
    });
  }

  it('the loss is recon + β·(kl1 + kl2) of one draw, with KL(q(z2|z1) ‖ N(0, I)) in closed form and β warming up', () => {
    const model = build({ ...TINY, beta: 2, klWarmup: 4 }, tiny, 4);
    const batch: Batch = { x: tf.tensor2d(X) };
    const noise = drawNoise(model.config, 2, 1, new Rng(5));
    const [e1, e2] = [rows(noise.eps1), rows(noise.eps2)];
    const hand = [0, 1].map((i) => byHand(model, X[i], e1[i], e2[i]));
    const mean = (f: (h: (typeof hand)[number]) => number) => (f(hand[0]) + f(hand[1])) / 2;
    const want = { recon: mean((h) => -h.logPx), kl1: mean((h) => h.logQz1 - h.logPz1), kl2: mean((h) => h.kl2) };
    const got = tf.tidy(() => {
      // The same seed gives forward the same ε as drawNoise above.
      const out = model.forward(batch, { training: true, epoch: 1, rng: new Rng(5) });
      const value = (t: tf.Tensor) => t.dataSync()[0];
      return { loss: value(out.loss), recon: value(out.terms.recon), kl: value(out.terms.kl), kl1: value(out.terms.kl1), kl2: value(out.terms.kl2) };
    });
    expect(got.recon).toBeCloseTo(want.recon, 4);
    expect(got.kl1).toBeCloseTo(want.kl1, 4);
    expect(got.kl2).toBeCloseTo(want.kl2, 4);
    expect(got.kl).toBeCloseTo(want.kl1 + want.kl2, 4);
    // β = 2 · (1 epoch / 4 warm-up epochs) = 0.5
    expect(got.loss).toBeCloseTo(want.recon + 0.5 * (want.kl1 + want.kl2), 4);
    tf.dispose([batch.x, noise.eps1, noise.eps2]);
    model.dispose();
  });

  it('encode is the mean of q(z1|x); decode is the mean of p(x|z1)', () => {
    const model = build(TINY, tiny, 6);
    const z1 = [
      [0.4, -1.2, 0.1],
      [2.0, 0.3, -0.7],
    ];
    const [codes, outputs] = tf.tidy(() => [rows(model.encode({ x: tf.tensor2d(X) })), rows(model.decode(tf.tensor2d(z1)))]);
    for (let i = 0; i < 2; i++) {
      const mu1 = gaussianHeads(model.networks.encoder, 'encoder', 'mu', 'log_var', X[i]).mu;
      mu1.forEach((v, j) => expect(codes[i][j]).toBeCloseTo(v, 5));
      const logits = dense(model.networks.decoder, 'decoder_preact', tanh(dense(model.networks.decoder, 'decoder_dense1', z1[i])));
      logits.forEach((l, j) => expect(outputs[i][j]).toBeCloseTo(1 / (1 + Math.exp(-l)), 5));
    }
    model.dispose();
  });
});

describe('hvae training signal', () => {
  it('the gradient reaches both stochastic layers and matches central finite differences of the loss', () => {
    const model = build(TINY, tiny, 5);
    const x = tf.tensor2d(X);
    const lossOf = () => tf.tidy(() => model.forward({ x }, { training: true, epoch: 1, rng: new Rng(4) }).loss.dataSync()[0]);
    const vars = model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => model.forward({ x }, { training: true, epoch: 1, rng: new Rng(4) }).loss, vars);
    // Every network, z1 ↔ z2 included, gets a gradient.
    for (const [name, net] of Object.entries(model.networks)) {
      // A network off the loss's path has no gradient at all (undefined), counted as 0.
      const largestOf = (g: tf.Tensor | undefined) => (g ? tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) : 0);
      const largest = Math.max(...net.trainableWeights.map((w) => largestOf(grads[(w.read() as tf.Variable).name])));
      expect(largest, name).toBeGreaterThan(1e-3);
    }
    let checked = 0;
    for (const v of vars) {
      const analytic = grads[v.name].dataSync();
      const values = v.dataSync().slice();
      for (const i of [0, values.length - 1]) {
        const h = 1e-2;
        const at = (delta: number) => {
          const copy = values.slice();
          copy[i] = values[i] + delta;
          v.assign(tf.tensor(copy, v.shape));
          return lossOf();
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        v.assign(tf.tensor(values, v.shape));
        expect(Math.abs(numeric - analytic[i]), `${v.name}[${i}]`).toBeLessThan(2e-2 * Math.max(1, Math.abs(analytic[i])));
        checked++;
      }
    }
    // Kernel and bias of 3 layers in encoder, encoder2 and decoder2, of 2 in decoder: 22 variables, 2 entries each.
    expect(checked).toBe(2 * 22);
    tf.dispose([value, x, ...Object.values(grads)]);
    model.dispose();
  });

  it('on sprites, training lowers the loss; then ELBO < IWAE(5) < IWAE(50), and −loss is the ELBO of the same draws up to the top KL', async () => {
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 1000 });
    const testSet = await loadDataset('sprites', { split: 'test', limit: 200 });
    const model = build({ hidden: [64], hidden2: [32], latent: 8, latent2: 4 }, mnist, 2);
    const result = await train(model, trainSet, testSet, { epochs: 2, batchSize: 100, lr: 3e-3, seed: 1 });
    expect(result.metrics[1].test_loss).toBeLessThan(result.metrics[0].test_loss);
    const batch = makeBatch(testSet, null, 0, 200);
    const bound = (K: number, seed: number) =>
      tf.tidy(() => tf.mean(tf.sub(tf.logSumExp(model.logImportanceWeights(batch, K, new Rng(seed)), 1), Math.log(K))).dataSync()[0]);
    const at = (K: number) => [11, 12, 13].reduce((s, seed) => s + bound(K, seed), 0) / 3;
    const [elbo, k5, k50] = [at(1), at(5), at(50)];
    expect(k5).toBeGreaterThan(elbo);
    expect(k50).toBeGreaterThan(k5);
    // With the same seed, forward and one importance weight use the same (z1, z2): they differ only in
    // the top KL, closed form against log q(z2|z1) − log p(z2) at the draw, equal in expectation.
    const seeds = [21, 22, 23, 24, 25];
    const minusLoss = -seeds.reduce((s, seed) => s + tf.tidy(() => model.forward(batch, { training: false, epoch: 2, rng: new Rng(seed) }).loss.dataSync()[0]), 0) / seeds.length;
    const sameDraws = seeds.reduce((s, seed) => s + bound(1, seed), 0) / seeds.length;
    expect(Math.abs(minusLoss - sameDraws)).toBeLessThan(0.3);
    expect(minusLoss).toBeLessThan(k50);
    disposeBatch(batch);
    model.dispose();
  }, 120_000);
});

describe('hvae sampling, saving and memory', () => {
  /** A tiny model whose p(z1|z2) variances are spread away from 1, so a wrong scale (σ² for σ, no noise) shows. */
  function spreadPrior(seed: number): Hvae {
    const model = build(TINY, tiny, seed);
    const head = model.networks.decoder2.getLayer('decoder2_log_var');
    head.setWeights([head.getWeights()[0], tf.tensor1d([1.0, -1.5, 0.4])]);
    return model;
  }

  /** Sample mean and variance of each column of [n, d] rows. */
  function moments(values: number[][]): { mean: Vec; variance: Vec } {
    const n = values.length;
    const mean = values[0].map((_, j) => sum(values.map((r) => r[j])) / n);
    const variance = mean.map((m, j) => sum(values.map((r) => (r[j] - m) ** 2)) / (n - 1));
    return { mean, variance };
  }

  it('z1 ~ p(z1|z2) at temperature T has the mean of p(z1|z2) and T² times its variance', () => {
    const model = spreadPrior(7);
    const n = 8000;
    const z2 = tf.tile(tf.tensor2d([[0.7, -0.3]]), [n, 1]) as tf.Tensor2D;
    const p1 = gaussianHeads(model.networks.decoder2, 'decoder2', 'decoder2_mu', 'decoder2_log_var', [0.7, -0.3]);
    for (const T of [1, 0.5]) {
      const { mean, variance } = moments(rows(model.sampleZ1(z2, new Rng(3), T)));
      for (let j = 0; j < 3; j++) {
        const want = T * T * Math.exp(p1.logVar[j]);
        // Five standard errors: σ/√n for the mean, σ²·√(2/n) for the variance.
        expect(Math.abs(mean[j] - p1.mu[j]), `T ${T}, mean ${j}`).toBeLessThan(5 * Math.sqrt(want / n));
        expect(Math.abs(variance[j] - want), `T ${T}, variance ${j}`).toBeLessThan(5 * want * Math.sqrt(2 / n));
      }
    }
    z2.dispose();
    model.dispose();
  });

  it('samplePrior draws codes ancestrally: the moments of ∫ p(z1|z2) N(z2; 0, I) dz2, and E[z1|z2 = 0] at T = 0', () => {
    const model = spreadPrior(8);
    const heads = (z2: Vec) => gaussianHeads(model.networks.decoder2, 'decoder2', 'decoder2_mu', 'decoder2_log_var', z2);
    // The mixture's moments by float64 Monte Carlo over z2: mean E[μ], variance E[σ²] + Var[μ].
    const rng = new Rng(77);
    const M = 20_000;
    const draws = Array.from({ length: M }, () => heads([rng.normal(), rng.normal()]));
    const muMoments = moments(draws.map((d) => d.mu));
    const wantVariance = muMoments.variance.map((v, j) => v + sum(draws.map((d) => Math.exp(d.logVar[j]))) / M);
    const n = 20_000;
    const got = moments(rows(model.samplePrior(n, 3, 1)));
    for (let j = 0; j < 3; j++) {
      const se = Math.sqrt(wantVariance[j] / n + muMoments.variance[j] / M);
      expect(Math.abs(got.mean[j] - muMoments.mean[j]), `mean ${j}`).toBeLessThan(5 * se);
      expect(Math.abs(got.variance[j] - wantVariance[j]), `variance ${j}`).toBeLessThan(6 * wantVariance[j] * Math.sqrt(2 / n));
    }
    const atZero = heads([0, 0]).mu;
    for (const row of rows(model.samplePrior(4, 5, 0))) row.forEach((v, j) => expect(v).toBeCloseTo(atZero[j], 5));
    model.dispose();
  });

  it('saves its four networks and reloads to the same importance weights and samples', async () => {
    const model = build({ ...TINY, decoder: 'gaussian', sigma: 'learned' }, tiny, 9);
    const store = new MemoryRunStore();
    await saveModel(store, model);
    const config = { model: model.config, networks: Object.keys(model.networks) } as unknown as RunConfig;
    const reloaded = (await restoreModel(config, store)) as Hvae;
    const batch: Batch = { x: tf.tensor2d(X) };
    tf.tidy(() => {
      expect(Array.from(reloaded.logImportanceWeights(batch, 4, new Rng(2)).dataSync())).toEqual(Array.from(model.logImportanceWeights(batch, 4, new Rng(2)).dataSync()));
      expect(Array.from(reloaded.samplePrior(3, 2, 0.8).dataSync())).toEqual(Array.from(model.samplePrior(3, 2, 0.8).dataSync()));
    });
    batch.x.dispose();
    model.dispose();
    reloaded.dispose();
  });

  it('leaves no tensors behind', () => {
    const model = build(TINY, tiny, 10);
    const batch: Batch = { x: tf.tensor2d(X) };
    const [z1, z2] = [tf.tensor2d([[0.1, 0.2, 0.3]]), tf.tensor2d([[0.1, 0.2]])];
    const before = tf.memory().numTensors;
    const out = model.forward(batch, { training: true, epoch: 0, rng: new Rng(1) });
    tf.dispose([out.loss, out.z, out.recon, ...Object.values(out.terms)]);
    tf.dispose([model.logImportanceWeights(batch, 3, new Rng(1)), model.encode(batch), model.decode(z1), model.sampleZ1(z2, new Rng(1)), model.samplePrior(2, 1, 1)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([batch.x, z1, z2]);
    model.dispose();
  });
});
