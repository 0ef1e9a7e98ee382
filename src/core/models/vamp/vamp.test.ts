import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../../test/helpers.js';
import { disposeBatch, makeBatch } from '../../data/batches.js';
import { loadDataset } from '../../data/load.js';
import type { Dataset } from '../../data/types.js';
import { iwaeLogLikelihood } from '../../eval/iwae.js';
import { createModel, parseTrainRequest } from '../../jobs/train.js';
import { logNormalDiag } from '../../losses/index.js';
import { Rng } from '../../random.js';
import { restoreModel, saveModel } from '../../run/run.js';
import type { RunConfig } from '../../run/config.js';
import { MemoryRunStore } from '../../run/store.js';
import { getModelDefinition } from '../registry.js';
import type { DataInfo } from '../types.js';
import type { VampConfig } from './config.js';
import type { Vamp } from './model.js';
import { componentLogDensities, logMixtureDensity } from './prior.js';
import { examplePixels, floatPixels } from '../../data/pixels.js';

beforeAll(async () => {
  await setup('wasm');
});

// float64 references, written out term by term.
const logNormal = (x: number, mu: number, logVar: number) => -0.5 * ((x - mu) ** 2 / Math.exp(logVar) + logVar + Math.log(2 * Math.PI));
const logNormalVec = (z: number[], mu: number[], logVar: number[]) => z.reduce((s, zl, l) => s + logNormal(zl, mu[l]!, logVar[l]!), 0);
const logSumExp = (xs: number[]) => {
  const top = Math.max(...xs);
  return top + Math.log(xs.reduce((s, x) => s + Math.exp(x - top), 0));
};
const logMixtureByHand = (z: number[], mu: number[][], logVar: number[][]) => logSumExp(mu.map((m, k) => logNormalVec(z, m, logVar[k]!))) - Math.log(mu.length);

/** Φ(x) through erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const t = x / Math.SQRT2;
  const s = 1 / (1 + 0.3275911 * Math.abs(t));
  const poly = s * (0.254829592 + s * (-0.284496736 + s * (1.421413741 + s * (-1.453152027 + s * 1.061405429))));
  const erf = 1 - poly * Math.exp(-t * t);
  return 0.5 * (1 + (t >= 0 ? erf : -erf));
}

/** Kolmogorov–Smirnov distance between a sample and a CDF. */
function ksDistance(sample: number[], cdf: (x: number) => number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  const n = sorted.length;
  return sorted.reduce((d, x, i) => Math.max(d, Math.abs(cdf(x) - i / n), Math.abs(cdf(x) - (i + 1) / n)), 0);
}

const rows = (t: tf.Tensor) => t.arraySync() as number[][];

/** A tiny VampPrior VAE: 2×2 images, tanh (smooth, for finite differences). */
function tinyModel(pseudoInputs: number, seed = 0): Vamp {
  const def = getModelDefinition('vamp');
  const data: DataInfo = { shape: [2, 2, 1], numClasses: 1 };
  return def.create(def.resolveConfig({ hidden: [6], latent: 2, activation: 'tanh', pseudoInputs }, data), new Rng(seed)) as unknown as Vamp;
}

/** The raw pseudo-input weights (before the sigmoid), the variable the optimizer updates. */
function rawPseudoInputs(model: Vamp): tf.Variable {
  return model.networks.pseudo_inputs.trainableWeights[0]!.read() as tf.Variable;
}

const logPriorOf = (model: Vamp, z: tf.Tensor2D) => model['logPrior'](z);

describe('the mixture density log (1/K) Σ_k N(z; μ_k, σ²_k)', () => {
  const mu = [
    [0.3, -1.2, 0.8],
    [-0.7, 0.4, 2.1],
    [1.5, 0.9, -0.3],
  ];
  const logVar = [
    [-0.5, 0.2, -1.0],
    [0.7, -0.3, 0.1],
    [-2.0, -1.5, 0.4],
  ];
  const z = [
    [0.1, -0.5, 1.0],
    [2.0, 1.7, -1.1],
    [-1.3, 0.0, 0.6],
    [1.4, 0.8, -0.2],
  ];

  it('matches a float64 computation, component by component and mixed', () => {
    const [zT, muT, lvT] = [tf.tensor2d(z), tf.tensor2d(mu), tf.tensor2d(logVar)];
    const components = rows(componentLogDensities(zT, muT, lvT));
    const mixture = Array.from(logMixtureDensity(zT, muT, lvT).dataSync());
    z.forEach((zi, i) => {
      mu.forEach((m, k) => expect(components[i]![k]).toBeCloseTo(logNormalVec(zi, m, logVar[k]!), 4));
      expect(mixture[i]).toBeCloseTo(logMixtureByHand(zi, mu, logVar), 4);
    });
    tf.dispose([zT, muT, lvT]);
  });

  it('keeps float32 accuracy for narrow components far from the origin, and deep in a tail', () => {
    // σ = 0.05 around |μ| ≈ 3: z²/σ² ≈ 3600, where the expanded quadratic cancels most.
    const narrowMu = [
      [3.0, -2.5],
      [2.9, -2.6],
    ];
    const narrowLogVar = [
      [Math.log(0.0025), Math.log(0.0025)],
      [Math.log(0.004), Math.log(0.0016)],
    ];
    const codes = [
      [3.02, -2.47],
      [2.93, -2.58],
      [-3.0, 2.5], // ~ −10⁴ nats: only the log-sum-exp keeps this finite
    ];
    const got = Array.from(logMixtureDensity(tf.tensor2d(codes), tf.tensor2d(narrowMu), tf.tensor2d(narrowLogVar)).dataSync());
    codes.forEach((c, i) => {
      const want = logMixtureByHand(c, narrowMu, narrowLogVar);
      expect(Math.abs(got[i]! - want)).toBeLessThan(1e-6 * Math.max(1, Math.abs(want)) + 5e-3);
    });
    expect(got[2]).toBeLessThan(-1e3);
  });

  it('with K = 1 is the Gaussian log-density of the one component', () => {
    const zT = tf.tensor2d(z);
    const one = [tf.tensor2d([mu[1]!]), tf.tensor2d([logVar[1]!])] as const;
    const got = Array.from(logMixtureDensity(zT, ...one).dataSync());
    const reference = Array.from(logNormalDiag(zT, ...one).dataSync());
    got.forEach((g, i) => expect(g).toBeCloseTo(reference[i]!, 4));
  });
});

describe('the VampPrior of a model', () => {
  it('is the mixture of the encoder at the pseudo-inputs: log p(z) by hand from q(z|u_k)', () => {
    const model = tinyModel(3, 1);
    const { mu, logVar } = model.priorComponents();
    // The components are the encoder's posterior at σ(raw weights), computed independently here.
    const direct = model.posterior({ x: tf.sigmoid(rawPseudoInputs(model)) as tf.Tensor2D });
    expect(rows(mu)).toEqual(rows(direct.mu));
    const z = [
      [0.2, -0.4],
      [1.1, 0.9],
      [-1.5, 0.3],
    ];
    const got = Array.from(logPriorOf(model, tf.tensor2d(z)).dataSync());
    z.forEach((zi, i) => expect(got[i]).toBeCloseTo(logMixtureByHand(zi, rows(mu), rows(logVar)), 4));
    model.dispose();
  });

  it('with K = 1, the Monte Carlo KL of the loss averages to the closed-form KL(q(z|x) ‖ q(z|u_1))', () => {
    const model = tinyModel(1, 2);
    rawPseudoInputs(model).assign(tf.tensor2d([[4, -4, 4, -4]]));
    const x = tf.tensor2d([[0, 1, 0, 1]]);
    const [mu, logVar] = [rows(model.posterior({ x }).mu)[0]!, rows(model.posterior({ x }).logVar)[0]!];
    const prior = model.priorComponents();
    const [mu1, logVar1] = [rows(prior.mu)[0]!, rows(prior.logVar)[0]!];
    // KL(N(μ, σ²) ‖ N(μ₁, σ₁²)) = ½ Σ [log σ₁²/σ² + (σ² + (μ − μ₁)²)/σ₁² − 1]
    const closed = mu.reduce((s, m, l) => s + 0.5 * (logVar1[l]! - logVar[l]! + (Math.exp(logVar[l]!) + (m - mu1[l]!) ** 2) / Math.exp(logVar1[l]!) - 1), 0);
    expect(closed).toBeGreaterThan(0.01); // the posteriors differ, so the check has something to find
    // 30 forward passes over 1000 copies of x: 30 000 one-sample estimates.
    const copies = tf.tile(x, [1000, 1]) as tf.Tensor2D;
    const rng = new Rng(3);
    const means = Array.from({ length: 30 }, () => tf.tidy(() => model.forward({ x: copies }, { training: false, epoch: 1, rng }).terms.kl.dataSync()[0]!));
    const average = means.reduce((s, m) => s + m, 0) / means.length;
    const se = Math.sqrt(means.reduce((s, m) => s + (m - average) ** 2, 0) / (means.length - 1) / means.length);
    expect(Math.abs(average - closed)).toBeLessThan(4 * se + 1e-4);
    expect(4 * se).toBeLessThan(0.15 * closed);
    model.dispose();
  });

  it('the gradient of log p(z) with respect to the pseudo-inputs is non-zero and matches finite differences', () => {
    const model = tinyModel(2, 4);
    const raw = rawPseudoInputs(model);
    raw.assign(tf.tensor2d([
      [-2, 1, 0.5, 3],
      [1, -1, 2, -0.5],
    ]));
    const z = tf.tensor2d([
      [0.3, -0.2],
      [-1.0, 0.8],
      [0.5, 1.5],
    ]);
    const f = () => tf.sum(logPriorOf(model, z)) as tf.Scalar;
    const { grads } = tf.variableGrads(f, [raw]);
    const analytic = rows(grads[raw.name]!);
    const start = rows(raw);
    const h = 1e-2;
    const at = (k: number, j: number, d: number) => {
      raw.assign(tf.tensor2d(start.map((row, r) => row.map((v, c) => (r === k && c === j ? v + d : v)))));
      return tf.tidy(() => f().dataSync()[0]!);
    };
    let largest = 0;
    start.forEach((row, k) =>
      row.forEach((_, j) => {
        const fd = (at(k, j, h) - at(k, j, -h)) / (2 * h);
        expect(Math.abs(analytic[k]![j]! - fd)).toBeLessThan(2e-3 + 1e-2 * Math.abs(fd));
        largest = Math.max(largest, Math.abs(analytic[k]![j]!));
      }),
    );
    expect(largest).toBeGreaterThan(0.01);
    model.dispose();
  });

  it('samplePrior picks components uniformly and draws from them at σ·T', () => {
    const model = tinyModel(3, 5);
    rawPseudoInputs(model).assign(tf.tensor2d([
      [-3, 2, 0, 1],
      [2, -2, 3, -1],
      [0.5, 0.5, -3, 3],
    ]));
    const mu = rows(model.priorComponents().mu);
    const logVar = rows(model.priorComponents().logVar);
    // T → 0: every draw sits on one μ_k, and the K components are picked equally often.
    const n = 3000;
    const atMeans = rows(model.samplePrior(n, 11, 1e-6));
    const counts = [0, 0, 0];
    for (const zi of atMeans) {
      const k = mu.findIndex((m) => Math.abs(m[0]! - zi[0]!) < 1e-4 && Math.abs(m[1]! - zi[1]!) < 1e-4);
      expect(k).toBeGreaterThanOrEqual(0);
      counts[k]! += 1;
    }
    const sd = Math.sqrt((n * (1 / 3) * (2 / 3)));
    for (const c of counts) expect(Math.abs(c - n / 3)).toBeLessThan(4 * sd);
    // At T = 1 and T = 0.5 each coordinate follows the mixture of N(μ_kl, T²σ²_kl) (KS, α ≈ 0.001: 1.95/√n).
    const mixtureCdf = (l: number, T: number) => (x: number) => mu.reduce((s, m, k) => s + normalCdf((x - m[l]!) / (T * Math.exp(0.5 * logVar[k]![l]!))), 0) / mu.length;
    for (const T of [1, 0.5]) {
      const draws = rows(model.samplePrior(n, 12, T));
      for (const l of [0, 1]) {
        const column = draws.map((d) => d[l]!);
        expect(ksDistance(column, mixtureCdf(l, T))).toBeLessThan(1.95 / Math.sqrt(n));
        // The other temperature is visibly wrong, so the test could fail.
        expect(ksDistance(column, mixtureCdf(l, 1.5 - T))).toBeGreaterThan(3 / Math.sqrt(n));
      }
    }
    expect(rows(model.samplePrior(5, 12, 1))).toEqual(rows(model.samplePrior(5, 12, 1)));
    expect(rows(model.samplePrior(5, 13, 1))).not.toEqual(rows(model.samplePrior(5, 12, 1)));
    model.dispose();
  });

  it('the log importance weights use the same prior as the loss, and the IWAE bound is above the ELBO', () => {
    const model = tinyModel(4, 6);
    const x = tf.tensor2d([
      [0.9, 0.1, 0.6, 0.3],
      [0.2, 0.8, 0.4, 1.0],
      [0.5, 0.5, 0.0, 0.7],
    ]);
    // Same seed, same ε: one importance weight per example is minus that example's loss.
    const logW = model.logImportanceWeights({ x }, 1, new Rng(21));
    const out = model.forward({ x }, { training: false, epoch: 1, rng: new Rng(21) });
    expect(tf.mean(logW).dataSync()[0]).toBeCloseTo(-out.loss.dataSync()[0]!, 4);
    // The IWAE estimate with 2000 draws against the ELBO estimated from the same draws.
    const ds: Dataset = { name: 'tiny', split: 'test', pixels: floatPixels(x.dataSync() as Float32Array), labels: new Int32Array(3), n: 3, shape: [2, 2, 1], numClasses: 1 };
    const result = iwaeLogLikelihood(model, ds, { samples: 2000, chunk: 500, seed: 1 });
    for (let i = 0; i < 3; i++) expect(result.logLikelihood[i]).toBeGreaterThan(result.elbo[i]!);
    // The ELBO of eval matches the training loss averaged over draws (E[log w] = −loss).
    let lossSum = 0;
    const rng = new Rng(22);
    for (let i = 0; i < 200; i++) lossSum += tf.tidy(() => model.forward({ x }, { training: false, epoch: 1, rng }).loss.dataSync()[0]!);
    expect(Math.abs(result.meanElbo + lossSum / 200)).toBeLessThan(0.05);
    model.dispose();
  });

  it('samplePrior, logImportanceWeights and forward leak no tensors', () => {
    const model = tinyModel(3, 7);
    const x = tf.tensor2d([[0.9, 0.1, 0.6, 0.3]]);
    const before = tf.memory().numTensors;
    tf.dispose([model.samplePrior(4, 1, 1), model.logImportanceWeights({ x }, 3, new Rng(1)), ...Object.values(model.priorComponents()), model.pseudoInputs()]);
    const out = model.forward({ x }, { training: true, epoch: 1, rng: new Rng(1) });
    tf.dispose([out.loss, out.z, out.recon, ...Object.values(out.terms)]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('vamp on sprites', () => {
  it('trains: the loss drops, the pseudo-inputs move, and a save/reload keeps them exactly', async () => {
    const data = await loadDataset('sprites', { split: 'train', limit: 512 });
    const def = getModelDefinition('vamp');
    const model = def.create(def.resolveConfig({ hidden: [64], latent: 4, pseudoInputs: 20 }, { shape: data.shape, numClasses: data.numClasses }), new Rng(0)) as unknown as Vamp;
    const evalBatch = makeBatch(data, null, 0, 128);
    const lossOn = () => tf.tidy(() => model.forward(evalBatch, { training: false, epoch: 1, rng: new Rng(5) }).loss.dataSync()[0]!);
    const startInputs = model.pseudoInputs();
    const before = lossOn();
    const optimizer = tf.train.adam(3e-3);
    const rng = new Rng(1);
    for (let step = 0; step < 100; step++) {
      const start = (step * 32) % 512;
      const batch = makeBatch(data, null, start, start + 32);
      optimizer.minimize(() => model.forward(batch, { training: true, epoch: 1, rng }).loss, false, model.trainableVariables());
      disposeBatch(batch);
    }
    const after = lossOn();
    expect(after).toBeLessThan(0.8 * before);
    const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(model.pseudoInputs(), startInputs))).dataSync()[0]!);
    // From a start within ±0.01 of 0.49 (N(−0.05, 0.01²) through the sigmoid).
    expect(moved).toBeGreaterThan(0.02);

    const store = new MemoryRunStore();
    await saveModel(store, model);
    const config = { model: model.config, networks: Object.keys(model.networks) } as unknown as RunConfig;
    expect(config.networks).toContain('pseudo_inputs');
    const reloaded = (await restoreModel(config, store)) as unknown as Vamp;
    expect(Array.from(reloaded.pseudoInputs().dataSync())).toEqual(Array.from(model.pseudoInputs().dataSync()));
    expect(Array.from(reloaded.samplePrior(8, 3, 0.7).dataSync())).toEqual(Array.from(model.samplePrior(8, 3, 0.7).dataSync()));
    tf.dispose(startInputs);
    optimizer.dispose();
    disposeBatch(evalBatch);
    model.dispose();
    reloaded.dispose();
  }, 60_000);
});

describe('vamp settings', () => {
  const def = getModelDefinition('vamp');
  const images: DataInfo = { shape: [28, 28, 1], numClasses: 10 };

  it('defaults to the paper: K = 500 pseudo-inputs kept in [0, 1] for images; linear for real-valued data', () => {
    const config = def.resolveConfig({}, images) as VampConfig;
    expect(config.pseudoInputs).toBe(500);
    expect(config.pseudoInputActivation).toBe('sigmoid');
    const table = def.resolveConfig({}, { shape: [1, 1, 5], numClasses: 1, domain: 'real' }) as VampConfig;
    expect(table.pseudoInputActivation).toBe('linear');
    // A saved run keeps its pseudo-inputs' range, whatever the data info says now.
    expect((def.resolveConfig({ pseudoInputActivation: 'linear' }, images) as VampConfig).pseudoInputActivation).toBe('linear');
  });

  it('--pseudo-init data starts the pseudo-inputs at K training examples (cycling when K > n); grey leaves them alone', () => {
    const x = Float32Array.from({ length: 3 * 4 }, (_, i) => [0, 1, 0.25, 0.5, 0.7, 0.1, 0.9, 0.3, 0.6, 0.4, 0.8, 0.2][i]!);
    const small: DataInfo = { shape: [2, 2, 1], numClasses: 1 };
    const examples: Dataset = { name: 'tiny', split: 'train', n: 3, shape: [2, 2, 1], pixels: floatPixels(x), labels: new Int32Array(3), numClasses: 1 };
    const build = (pseudoInit: 'grey' | 'data', k: number) => def.create(def.resolveConfig({ hidden: [4], latent: 2, pseudoInputs: k, pseudoInit }, small), new Rng(0)) as unknown as Vamp;
    const fromData = build('data', 5);
    fromData.initialiseFromData(examples, new Rng(4));
    const u = rows(fromData.pseudoInputs());
    const order = Array.from(new Rng(4).permutation(3));
    const clip = (v: number) => Math.min(0.99, Math.max(0.01, v));
    u.forEach((row, k) => {
      const example = Array.from(x.subarray(order[k % 3]! * 4, order[k % 3]! * 4 + 4), clip);
      row.forEach((v, j) => expect(v).toBeCloseTo(example[j]!, 5));
    });
    const grey = build('grey', 5);
    const before = rows(grey.pseudoInputs());
    grey.initialiseFromData(examples, new Rng(4));
    expect(rows(grey.pseudoInputs())).toEqual(before);
    expect(before.flat().every((v) => Math.abs(v - 0.49) < 0.01)).toBe(true);
    fromData.dispose();
    grey.dispose();
    expect(() => def.resolveConfig({ pseudoInit: 'zeros' }, images)).toThrow(/^pseudoInit/);
  });

  it('a new run with --pseudo-init data starts from its own training images', async () => {
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 20 });
    const request = parseTrainRequest({ model: 'vamp', dataset: 'sprites', hidden: [8], latent: 2, pseudoInputs: 6, pseudoInit: 'data' });
    const { model, config } = createModel(request, { trainSet, testSet: trainSet }, 'wasm');
    expect((config.model as unknown as VampConfig).pseudoInit).toBe('data');
    const u = rows((model as unknown as Vamp).pseudoInputs());
    // Each pseudo-input is some training sprite (clipped to [0.01, 0.99]).
    const sprites = Array.from({ length: 20 }, (_, i) => Array.from(examplePixels(trainSet, i), (v) => Math.min(0.99, Math.max(0.01, v))));
    for (const row of u) expect(sprites.some((sprite) => sprite.every((v, j) => Math.abs(v - row[j]!) < 1e-4))).toBe(true);
    model.dispose();
  });

  it('refuses a bad K with a message naming the field', () => {
    expect(() => def.resolveConfig({ pseudoInputs: 0 }, images)).toThrow(/^pseudoInputs/);
    expect(() => def.resolveConfig({ pseudoInputs: 2.5 }, images)).toThrow(/^pseudoInputs/);
    expect(() => def.resolveConfig({ samples: 5 }, images)).toThrow(/^samples is not an option of model 'vamp'/);
  });
});

describe('the log σ² clamp (--log-var-clamp)', () => {
  const def = getModelDefinition('vamp');
  const tiny: DataInfo = { shape: [2, 2, 1], numClasses: 1 };
  const input = { hidden: [6], latent: 7, activation: 'tanh', pseudoInputs: 2 };
  // Raw log σ² values at least 0.5 from the range's ends [−6, 2], so central differences with h = 0.01 see one side only.
  const RAW = [-8, -6.5, -3, 0, 1.5, 2.5, 4];
  const x = () => tf.tensor2d([[0, 1, 0.5, 0.2]]);

  /** Zero the log σ² head's kernel and set its bias: the raw log σ² is then `bias` for every x. Returns the bias. */
  function setRawLogVar(model: Vamp, bias: number[]): tf.Variable {
    const [kernel, b] = model.networks.encoder.getLayer('log_var').trainableWeights.map((w) => w.read() as tf.Variable);
    kernel!.assign(tf.zerosLike(kernel!));
    b!.assign(tf.tensor1d(bias));
    return b!;
  }

  const logVarOf = (model: Vamp) => tf.tidy(() => Array.from(model.posterior({ x: x() }).logVar.dataSync()));

  it("hardtanh clips log σ² to the authors' [−6, 2]; off (the default) leaves it alone; a bad mode is refused naming the field", () => {
    const clamped = def.create(def.resolveConfig({ ...input, logVarClamp: 'hardtanh' }, tiny), new Rng(0)) as unknown as Vamp;
    setRawLogVar(clamped, RAW);
    expect(logVarOf(clamped)).toEqual([-6, -6, -3, 0, 1.5, 2, 2]);
    const off = def.create(def.resolveConfig(input, tiny), new Rng(0)) as unknown as Vamp;
    expect(off.config.logVarClamp).toBe('off');
    setRawLogVar(off, RAW);
    expect(logVarOf(off)).toEqual(RAW);
    // The prior's components q(z|u_k) go through the same clamp.
    expect(tf.tidy(() => Math.max(...clamped.priorComponents().logVar.dataSync()))).toBe(2);
    clamped.dispose();
    off.dispose();
    expect(() => def.resolveConfig({ logVarClamp: 'tanh' }, tiny)).toThrow(/^logVarClamp/);
  });

  it('passes the gradient inside the range and none outside (central finite differences)', () => {
    const model = def.create(def.resolveConfig({ ...input, logVarClamp: 'hardtanh' }, tiny), new Rng(1)) as unknown as Vamp;
    const bias = setRawLogVar(model, RAW);
    const weights = tf.tensor1d([1, 2, 3, 4, 5, 6, 7]);
    const f = () => tf.sum(tf.mul(model.posterior({ x: x() }).logVar, weights)) as tf.Scalar;
    const { value, grads } = tf.variableGrads(f, [bias]);
    const analytic = Array.from(grads[bias.name]!.dataSync());
    const h = 1e-2;
    const at = (l: number, d: number) => {
      bias.assign(tf.tensor1d(RAW.map((v, j) => (j === l ? v + d : v))));
      return tf.tidy(() => f().dataSync()[0]!);
    };
    const fd = RAW.map((_, l) => (at(l, h) - at(l, -h)) / (2 * h));
    // By hand: ∂/∂raw_l of Σ w_l·clip(raw_l) is w_l inside [−6, 2], 0 outside.
    expect(analytic).toEqual([0, 0, 3, 4, 5, 0, 0]);
    fd.forEach((g, l) => expect(g).toBeCloseTo(analytic[l]!, 2));
    tf.dispose([value, weights, grads[bias.name]!]);
    model.dispose();
  });

  it('a saved config without the field (runs that predate it) loads and runs unclipped, exactly as before', async () => {
    // The model section of a run written before the field existed (the VampPrior long run's, smaller networks).
    const old = { model: 'vamp', arch: 'mlp', inputShape: [2, 2, 1], numClasses: 1, hidden: [6], latent: 7, activation: 'tanh', beta: 1, klWarmup: 0, decoder: 'bernoulli', sigma: 1, reconWeight: null, pseudoInputs: 2, pseudoInputActivation: 'sigmoid', pseudoInit: 'data' };
    const built = def.create(old as unknown as VampConfig, new Rng(2)) as unknown as Vamp;
    setRawLogVar(built, RAW);
    const store = new MemoryRunStore();
    await saveModel(store, built);
    const reloaded = (await restoreModel({ model: old, networks: ['encoder', 'decoder', 'pseudo_inputs'] } as unknown as RunConfig, store)) as unknown as Vamp;
    expect(reloaded.config.logVarClamp).toBeUndefined();
    expect(logVarOf(reloaded)).toEqual(RAW);
    // The loss is the unclipped model's: the same as that of the model built from the full config with the clamp off.
    const off = def.create({ ...old, logVarClamp: 'off' } as unknown as VampConfig, new Rng(2)) as unknown as Vamp;
    setRawLogVar(off, RAW);
    const lossOf = (m: Vamp) => tf.tidy(() => m.forward({ x: x() }, { training: false, epoch: 1, rng: new Rng(3) }).loss.dataSync()[0]);
    expect(lossOf(reloaded)).toBe(lossOf(off));
    for (const m of [built, reloaded, off]) m.dispose();
  });
});
