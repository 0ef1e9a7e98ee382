import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../../test/helpers.js';
import { disposeBatch, makeBatch } from '../../data/batches.js';
import { loadDataset } from '../../data/load.js';
import type { Dataset } from '../../data/types.js';
import { FieldError } from '../../errors.js';
import { createEngine } from '../../../node/parallel/engines.js';
import { evaluateLoss } from '../../eval/loss.js';
import { Rng } from '../../random.js';
import type { RunConfig } from '../../run/config.js';
import { restoreModel, saveModel } from '../../run/run.js';
import { MemoryRunStore } from '../../run/store.js';
import { train } from '../../train/trainer.js';
import { getModelDefinition } from '../registry.js';
import type { VqvaeConfig } from './config.js';
import { Vqvae } from './model.js';
import { autoregressiveLogProb, buildIndexPrior, drawAutoregressive } from './prior.js';
import { codeCounts, drawIndices, nearestCodes, perplexity, quantisationTerms, straightThrough, USAGE_DECAY, VectorQuantizer } from './quantizer.js';

beforeAll(async () => {
  await setup('wasm');
});

const sprites = { shape: [28, 28, 1] as [number, number, number], numClasses: 1 };

function build(input: Record<string, unknown>, seed = 0): Vqvae {
  const def = getModelDefinition('vqvae');
  return def.create(def.resolveConfig(input, sprites), new Rng(seed)) as Vqvae;
}

/** A stand-alone codebook layer holding `codes` [K, d], for G groups of d dims. */
function quantizerWith(codes: number[][], groups: number): VectorQuantizer {
  const layer = new VectorQuantizer({ codebookSize: codes.length, groups });
  layer.build([null, codes[0].length * groups]);
  layer.setWeights([tf.tensor2d(codes), tf.zeros([groups, codes.length])]);
  return layer;
}

/** Free a stand-alone layer's weights (Layer.dispose refuses a layer never applied symbolically). */
function disposeLayer(layer: VectorQuantizer): void {
  for (const w of layer.weights) w.dispose();
}

const CODES = [
  [0, 0],
  [1, 0],
  [0, 2],
];

describe('nearest-neighbour quantisation', () => {
  it('picks the nearest codebook vector (hand-computed distances)', () => {
    // Squared distances to (0,0), (1,0), (0,2):
    // (0.4, 0.1): 0.17, 0.37, 3.77 → 0;  (0.6, 0): 0.36, 0.16, 4.36 → 1
    // (0.1, 1.2): 1.45, 2.25, 0.65 → 2;  (−1, −1): 2, 5, 10 → 0
    const z = tf.tensor2d([
      [0.4, 0.1],
      [0.6, 0],
      [0.1, 1.2],
      [-1, -1],
    ]);
    expect(Array.from(nearestCodes(z, tf.tensor2d(CODES)).dataSync())).toEqual([0, 1, 2, 0]);
  });

  it('agrees with a brute-force float64 search on random points', () => {
    const rng = new Rng(3);
    const codes = Array.from({ length: 17 }, () => Array.from({ length: 5 }, () => rng.normal()));
    const points = Array.from({ length: 200 }, () => Array.from({ length: 5 }, () => 1.5 * rng.normal()));
    const brute = points.map((p) => {
      const d = codes.map((c) => c.reduce((s, v, j) => s + (v - p[j]) ** 2, 0));
      return d.indexOf(Math.min(...d));
    });
    expect(Array.from(nearestCodes(tf.tensor2d(points), tf.tensor2d(codes)).dataSync())).toEqual(brute);
  });

  it('quantises each group of the code separately against the shared codebook', () => {
    const layer = quantizerWith(CODES, 2);
    // Example 1: groups (0.4, 0.1) → 0 and (0.1, 1.2) → 2; example 2: (0.6, 0) → 1 and (−1, −1) → 0.
    const ze = tf.tensor2d([
      [0.4, 0.1, 0.1, 1.2],
      [0.6, 0, -1, -1],
    ]);
    const { indices, zq } = layer.quantise(ze);
    expect(indices.arraySync()).toEqual([
      [0, 2],
      [1, 0],
    ]);
    expect(zq.arraySync()).toEqual([
      [0, 0, 0, 2],
      [1, 0, 0, 0],
    ]);
    expect((layer.apply(ze) as tf.Tensor).arraySync()).toEqual(zq.arraySync());
    disposeLayer(layer);
  });
});

describe('straight-through gradient', () => {
  it('the gradient reaching z_e is the gradient with respect to z_q (central finite differences), and the codebook gets none of it', () => {
    const layer = quantizerWith(CODES, 2);
    const weights = [0.7, -1.3, 0.4, 2.1];
    // Any smooth function of the decoder's input will do.
    const f = (z: tf.Tensor) => tf.sum(tf.mul(tf.sin(tf.mul(z, 1.5)), tf.tensor2d([weights]))) as tf.Scalar;
    const ze0 = [0.4, 0.1, 0.1, 1.2];
    const ze = tf.tensor2d([ze0]);
    const zq = layer.quantise(ze).zq;
    const zqValues = Array.from(zq.dataSync());
    const gradZe = tf.grad((x: tf.Tensor) => f(straightThrough(x as tf.Tensor2D, layer.quantise(x as tf.Tensor2D).zq)))(ze).dataSync();
    const h = 1e-3;
    const at = (i: number, d: number) => f(tf.tensor2d([zqValues.map((v, j) => (j === i ? v + d : v))])).dataSync()[0];
    for (let i = 0; i < 4; i++) {
      const fd = (at(i, h) - at(i, -h)) / (2 * h);
      expect(gradZe[i]).toBeCloseTo(fd, 2);
      // Closed form at z_q (not at z_e, which the gradient must not see): 1.5·w·cos(1.5·z_q).
      expect(gradZe[i]).toBeCloseTo(1.5 * weights[i] * Math.cos(1.5 * zqValues[i]), 4);
    }
    const codebook = layer.trainableWeights[0].read() as tf.Variable;
    const { grads } = tf.variableGrads(() => f(straightThrough(ze, layer.quantise(ze).zq)), [codebook]);
    expect(Array.from(grads[codebook.name].dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    disposeLayer(layer);
  });
});

describe('codebook and commitment terms', () => {
  // z_e rows: (0.3, 0.1) → code 0; (0.8, 0.2) and (0.9, −0.2) → code 1; (0.2, 1.5) → code 2.
  const ZE = [
    [0.3, 0.1],
    [0.8, 0.2],
    [0.9, -0.2],
    [0.2, 1.5],
  ];

  it('one SGD step of the codebook term moves each chosen code toward its encoder outputs (hand-computed update)', () => {
    const layer = quantizerWith(CODES, 1);
    const codebook = layer.trainableWeights[0].read() as tf.Variable;
    const ze = tf.tensor2d(ZE);
    const sgd = tf.train.sgd(0.1);
    sgd.minimize(() => quantisationTerms(ze, layer.quantise(ze).zq).codebook, false, [codebook]);
    // ∂/∂e_k of (1/4)·Σ_i ‖z_i − e_k(i)‖² is (1/2)·Σ_{i: k(i)=k} (e_k − z_i); e_k ← e_k − 0.1·that:
    // e_0 = (0, 0) − 0.05·(−0.3, −0.1)                     = (0.015, 0.005)
    // e_1 = (1, 0) − 0.05·((0.2, −0.2) + (0.1, 0.2))       = (0.985, 0)
    // e_2 = (0, 2) − 0.05·(−0.2, 0.5)                      = (0.01, 1.975)
    const expected = [0.015, 0.005, 0.985, 0, 0.01, 1.975];
    Array.from(codebook.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    sgd.dispose();
    disposeLayer(layer);
  });

  it('the codebook term trains only the codes, the commitment term only the encoder output (2/b·(z_e − e))', () => {
    const layer = quantizerWith(CODES, 1);
    const codebook = layer.trainableWeights[0].read() as tf.Variable;
    const ze = tf.variable(tf.tensor2d(ZE));
    const terms = () => quantisationTerms(ze, layer.quantise(ze).zq);
    const fromCodebook = tf.variableGrads(() => terms().codebook, [codebook, ze]).grads;
    expect(Array.from(fromCodebook[ze.name].dataSync())).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const fromCommitment = tf.variableGrads(() => terms().commitment, [codebook, ze]).grads;
    expect(Array.from(fromCommitment[codebook.name].dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    const chosen = [CODES[0], CODES[1], CODES[1], CODES[2]];
    const expected = ZE.flatMap((row, i) => row.map((v, j) => (2 / 4) * (v - chosen[i][j])));
    Array.from(fromCommitment[ze.name].dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    // Both terms have the same value: mean over rows of the squared distance to the chosen code.
    const value = ZE.reduce((s, row, i) => s + row.reduce((t, v, j) => t + (v - chosen[i][j]) ** 2, 0), 0) / 4;
    expect(terms().codebook.dataSync()[0]).toBeCloseTo(value, 6);
    expect(terms().commitment.dataSync()[0]).toBeCloseTo(value, 6);
    ze.dispose();
    disposeLayer(layer);
  });
});

describe('codebook perplexity', () => {
  it('is exp(entropy) of the index histogram: 1 for one code, K for K codes used equally, 2^1.5 for (½, ¼, ¼)', () => {
    const of = (counts: number[]) => perplexity(tf.tensor1d(counts)).dataSync()[0];
    expect(of([5, 0, 0, 0])).toBeCloseTo(1, 6);
    expect(of([3, 3, 3, 3])).toBeCloseTo(4, 5);
    expect(of(Array(512).fill(2))).toBeCloseTo(512, 1);
    // H = ½ ln 2 + ¼ ln 4 + ¼ ln 4 = 1.5 ln 2.
    expect(of([2, 1, 1, 0])).toBeCloseTo(2 ** 1.5, 5);
  });

  it('counts indices per group', () => {
    const counts = codeCounts(tf.tensor2d([[0, 2], [1, 2], [0, 0]], undefined, 'int32'), 3);
    expect(counts.arraySync()).toEqual([
      [2, 1, 0],
      [1, 0, 2],
    ]);
  });

  it("the model's perplexity metric is exp(entropy) of the batch's indices over all groups, and not part of the loss", () => {
    const model = build({ hidden: [16], latent: 6, codeGroups: 3, codebookSize: 8, vqPrior: 'independent' }, 4);
    const x = tf.randomUniform([20, 784], 0, 1, 'float32', 2) as tf.Tensor2D;
    const out = model.forward({ x }, { training: false, epoch: 1, rng: new Rng(0) });
    const indices = Array.from(model.quantizer.quantise(model.networks.encoder.apply(x) as tf.Tensor2D).indices.dataSync());
    const histogram = new Map<number, number>();
    for (const k of indices) histogram.set(k, (histogram.get(k) ?? 0) + 1);
    const entropy = [...histogram.values()].reduce((h, c) => h - (c / indices.length) * Math.log(c / indices.length), 0);
    expect(out.metrics!.perplexity.dataSync()[0]).toBeCloseTo(Math.exp(entropy), 4);
    expect(Object.keys(out.terms)).toEqual(['recon', 'codebook', 'commitment']);
    const [recon, codebook, commitment] = ['recon', 'codebook', 'commitment'].map((n) => out.terms[n].dataSync()[0]);
    expect(out.loss.dataSync()[0]).toBeCloseTo(recon + codebook + 0.25 * commitment, 3);
    // The codes the decoder saw are the quantised ones.
    expect(Array.from(out.z.dataSync())).toEqual(Array.from(model.encode({ x }).dataSync()));
    model.dispose();
  });
});

describe('the prior over indices (independent)', () => {
  it('samplePrior draws each group from its fitted frequencies (temperature T: p ∝ count^(1/T)) and returns their codes', () => {
    const model = build({ hidden: [8], latent: 4, codeGroups: 2, codebookSize: 4, vqPrior: 'independent' }, 1);
    const [codebook] = model.quantizer.getWeights();
    model.quantizer.setWeights([codebook, tf.tensor2d([[6, 3, 1, 0], [0, 0, 0, 10]])]);
    const n = 20000;
    const frequencies = (temperature: number) => {
      const draws = model.samplePrior(n, 7, temperature).arraySync();
      const codes = codebook.arraySync() as number[][];
      const counts = [new Array(4).fill(0), new Array(4).fill(0)];
      for (const row of draws) {
        for (let g = 0; g < 2; g++) {
          const k = codes.findIndex((c) => c[0] === row[2 * g] && c[1] === row[2 * g + 1]);
          expect(k).toBeGreaterThanOrEqual(0); // every drawn vector is a codebook row
          counts[g][k]++;
        }
      }
      return counts.map((row) => row.map((c) => c / n));
    };
    const t1 = frequencies(1);
    [0.6, 0.3, 0.1, 0].forEach((p, k) => expect(Math.abs(t1[0][k] - p)).toBeLessThan(0.012)); // ~3.5 binomial standard errors
    expect(t1[1]).toEqual([0, 0, 0, 1]);
    const t2 = frequencies(2);
    const root = [Math.sqrt(6), Math.sqrt(3), 1, 0];
    const sum = root.reduce((a, b) => a + b);
    root.forEach((r, k) => expect(Math.abs(t2[0][k] - r / sum)).toBeLessThan(0.012));
    model.dispose();
  });

  it('draws uniformly before any training, and the same seed gives the same draws', () => {
    const draws = drawIndices(new Float32Array(8), 2, 40000, 3, 1);
    const freq = new Array(4).fill(0);
    draws.forEach((k) => (freq[k] += 1 / draws.length));
    freq.forEach((f) => expect(Math.abs(f - 0.25)).toBeLessThan(0.01));
    expect(drawIndices(new Float32Array([1, 2, 3]), 1, 50, 9, 1)).toEqual(drawIndices(new Float32Array([1, 2, 3]), 1, 50, 9, 1));
  });

  it('training steps add their batch counts to the decayed usage; evaluation leaves it alone', () => {
    const model = build({ hidden: [16], latent: 4, codeGroups: 2, codebookSize: 8, deadCodes: 'keep' }, 2);
    const x1 = tf.randomUniform([10, 784], 0, 1, 'float32', 1) as tf.Tensor2D;
    const x2 = tf.randomUniform([10, 784], 0, 1, 'float32', 2) as tf.Tensor2D;
    const histogram = (x: tf.Tensor2D) => {
      const indices = model.quantizer.quantise(model.networks.encoder.apply(x) as tf.Tensor2D).indices.arraySync();
      const counts = [new Array(8).fill(0), new Array(8).fill(0)];
      for (const row of indices) row.forEach((k, g) => counts[g][k]++);
      return counts;
    };
    const [c1, c2] = [histogram(x1), histogram(x2)];
    model.forward({ x: x1 }, { training: false, epoch: 0, rng: new Rng(0) });
    expect(model.quantizer.usage().arraySync()).toEqual([new Array(8).fill(0), new Array(8).fill(0)]);
    model.forward({ x: x1 }, { training: true, epoch: 0, rng: new Rng(0) });
    model.forward({ x: x2 }, { training: true, epoch: 0, rng: new Rng(0) });
    const usage = model.quantizer.usage().arraySync();
    c1.forEach((row, g) => row.forEach((c, k) => expect(usage[g][k]).toBeCloseTo(USAGE_DECAY * c + c2[g][k], 5)));
    model.dispose();
  });
});

describe('the autoregressive prior over indices', () => {
  /** Logits of the prior network at the one-hots of `indices` [n][G], as rows [n][G·K]. */
  const logitsAt = (prior: tfl.LayersModel, indices: number[][], K: number) =>
    tf.tidy(() => (prior.apply(tf.reshape(tf.cast(tf.oneHot(tf.tensor1d(indices.flat(), 'int32'), K), 'float32'), [indices.length, -1])) as tf.Tensor).arraySync() as number[][]);

  it("group g's logits depend on the groups before it and on no other (the MADE masks)", () => {
    const [G, K] = [4, 3];
    const prior = buildIndexPrior(G, K, 11, 64);
    // Give the zero-initialised biases values too, so nothing is zero by accident.
    tf.tidy(() => prior.setWeights(prior.getWeights().map((w, i) => (i % 2 === 1 ? tf.randomNormal(w.shape, 0, 1, 'float32', i) : w))));
    const base = [0, 1, 2, 1];
    for (let changed = 0; changed < G; changed++) {
      const other = base.map((k, g) => (g === changed ? (k + 1) % K : k));
      const [a, b] = [logitsAt(prior, [base], K)[0]!, logitsAt(prior, [other], K)[0]!];
      for (let g = 0; g < G; g++) {
        const moved = Math.max(...a.slice(g * K, (g + 1) * K).map((v, k) => Math.abs(v - b[g * K + k]!)));
        if (g <= changed) expect(moved).toBe(0);
        else expect(moved, `group ${g} after changing group ${changed}`).toBeGreaterThan(1e-4);
      }
    }
    prior.dispose();
  });

  // Synthetic indices with a known dependence: G = 3, K = 4; i_1 ~ (0.4, 0.3, 0.2, 0.1), i_2 = i_1, i_3 uniform and independent.
  const P1 = [0.4, 0.3, 0.2, 0.1];
  function synthetic(n: number, seed: number): number[][] {
    const rng = new Rng(seed);
    return Array.from({ length: n }, () => {
      const u = rng.next();
      const i1 = u < 0.4 ? 0 : u < 0.7 ? 1 : u < 0.9 ? 2 : 3;
      return [i1, i1, Math.min(3, Math.floor(rng.next() * 4))];
    });
  }

  it('learns a known dependence: its samples keep i_2 = i_1, and its held-out log-likelihood beats the independent prior by H(i_1)', () => {
    const [G, K] = [3, 4];
    const train = synthetic(3000, 1);
    const heldOut = synthetic(1000, 2);
    // The independent prior, in plain JavaScript: each group's training frequencies.
    const frequencies = Array.from({ length: G }, (_, g) => Array.from({ length: K }, (_, k) => train.filter((row) => row[g] === k).length / train.length));
    const independent = heldOut.reduce((s, row) => s + row.reduce((t, k, g) => t + Math.log(frequencies[g]![k]!), 0), 0) / heldOut.length;
    // By hand: H(i_1) = −Σ p log p = 1.2799 nats, so independent ≈ −(2·1.2799 + log 4) = −3.946, the truth −(1.2799 + log 4) = −2.666.
    const entropy1 = -P1.reduce((s, p) => s + p * Math.log(p), 0);
    expect(entropy1).toBeCloseTo(1.2799, 4);
    expect(independent).toBeCloseTo(-(2 * entropy1 + Math.log(4)), 1);

    const prior = buildIndexPrior(G, K, 3, 32);
    const optimizer = tf.train.adam(0.02);
    const trainIndices = tf.tensor2d(train, [train.length, G], 'int32');
    const variables = prior.trainableWeights.map((w) => w.read() as tf.Variable);
    for (let step = 0; step < 300; step++) optimizer.minimize(() => tf.neg(tf.mean(autoregressiveLogProb(prior, trainIndices))) as tf.Scalar, false, variables);
    const before = tf.memory().numTensors;
    const heldOutIndices = tf.tensor2d(heldOut, [heldOut.length, G], 'int32');
    const autoregressive = tf.tidy(() => tf.mean(autoregressiveLogProb(prior, heldOutIndices)).dataSync()[0]!);
    expect(autoregressive - independent).toBeGreaterThan(entropy1 - 0.1);
    expect(autoregressive).toBeGreaterThan(-(entropy1 + Math.log(4)) - 0.1);

    const draws = drawAutoregressive(prior, 4000, 9, 1);
    const rows = Array.from({ length: 4000 }, (_, i) => Array.from(draws.subarray(i * G, (i + 1) * G)));
    // Independent draws would agree with probability Σ p² = 0.30.
    expect(rows.filter((r) => r[0] === r[1]).length / rows.length).toBeGreaterThan(0.97);
    P1.forEach((p, k) => expect(Math.abs(rows.filter((r) => r[0] === k).length / rows.length - p)).toBeLessThan(0.035));
    for (let k = 0; k < K; k++) expect(Math.abs(rows.filter((r) => r[2] === k).length / rows.length - 0.25)).toBeLessThan(0.035);
    expect(drawAutoregressive(prior, 50, 4, 1)).toEqual(drawAutoregressive(prior, 50, 4, 1));
    heldOutIndices.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([trainIndices]);
    optimizer.dispose();
    prior.dispose();
  }, 60_000);

  it("the independent prior's log p(i) is Σ_g log of group g's frequency (plain-JavaScript reference)", () => {
    const model = build({ hidden: [8], latent: 4, codeGroups: 2, codebookSize: 4, vqPrior: 'independent' }, 1);
    const [codebook] = model.quantizer.getWeights();
    model.quantizer.setWeights([codebook, tf.tensor2d([[6, 3, 1, 0], [2, 2, 0, 4]])]);
    const got = Array.from(model.logPriorOfIndices(tf.tensor2d([[0, 3], [2, 1], [3, 0]], [3, 2], 'int32')).dataSync());
    expect(got[0]).toBeCloseTo(Math.log(0.6) + Math.log(0.5), 5);
    expect(got[1]).toBeCloseTo(Math.log(0.1) + Math.log(0.25), 5);
    expect(got[2]).toBe(-Infinity); // code 3 never seen in group 1
    model.dispose();
  });

  it('at temperature T draws from softmax(logits / T): the marginal of group 1 sharpens as p^(1/T)', () => {
    const prior = buildIndexPrior(1, 3, 5, 4);
    const [k1, b1, k2] = prior.getWeights();
    prior.setWeights([k1!, b1!, k2!, tf.tensor1d(P1.slice(0, 3).map(Math.log))]);
    const frequencies = (temperature: number) => {
      const draws = drawAutoregressive(prior, 20000, 3, temperature);
      return [0, 1, 2].map((k) => draws.filter((d) => d === k).length / draws.length);
    };
    const check = (temperature: number) => {
      const weights = [0.4, 0.3, 0.2].map((p) => p ** (1 / temperature));
      const total = weights.reduce((a, b) => a + b);
      frequencies(temperature).forEach((f, k) => expect(Math.abs(f - weights[k]! / total)).toBeLessThan(0.012));
    };
    check(1);
    check(0.5);
    prior.dispose();
  });

  it('trains alongside the autoencoder: its NLL is the loss term prior, added to the loss, and an old config without the field has no prior network', () => {
    const model = build({ hidden: [16], latent: 6, codeGroups: 3, codebookSize: 8 }, 4);
    expect(model.config.vqPrior).toBe('autoregressive');
    const x = tf.randomUniform([20, 784], 0, 1, 'float32', 2) as tf.Tensor2D;
    tf.tidy(() => {
      const out = model.forward({ x }, { training: false, epoch: 1, rng: new Rng(0) });
      expect(Object.keys(out.terms)).toEqual(['recon', 'codebook', 'commitment', 'prior']);
      const [recon, codebook, commitment, prior] = ['recon', 'codebook', 'commitment', 'prior'].map((n) => out.terms[n]!.dataSync()[0]!);
      expect(out.loss.dataSync()[0]).toBeCloseTo(recon + codebook + 0.25 * commitment + prior, 3);
      expect(prior).toBeCloseTo(-tf.mean(model.logPriorOfIndices(model.codeIndices({ x }))).dataSync()[0]!, 4);
      // Untrained: logits near 0, so about log K per group.
      expect(Math.abs(prior - 3 * Math.log(8))).toBeLessThan(1);
    });
    const { vqPrior: _, ...old } = model.config;
    const legacy = getModelDefinition('vqvae').create(old, new Rng(4)) as Vqvae;
    expect(Object.keys(legacy.networks).sort()).toEqual(['decoder', 'encoder', 'quantizer']);
    // The same initial weights as an independent-prior model of the same seed: the prior network is built last.
    const independent = build({ hidden: [16], latent: 6, codeGroups: 3, codebookSize: 8, vqPrior: 'independent' }, 4);
    expect(Array.from(legacy.encode({ x }).dataSync())).toEqual(Array.from(independent.encode({ x }).dataSync()));
    expect(Array.from(model.encode({ x }).dataSync())).toEqual(Array.from(independent.encode({ x }).dataSync()));
    for (const m of [model, legacy, independent]) m.dispose();
    x.dispose();
  });
});

describe('dead codes', () => {
  it('codes used less than once lately restart at encoder outputs of the batch; the others stay', () => {
    const layer = quantizerWith(CODES, 2);
    // Pooled over the two groups: code 0 used 3.5 times, code 1 0.6 times (dead), code 2 not at all (dead).
    layer.setWeights([tf.tensor2d(CODES), tf.tensor2d([[3, 0.4, 0], [0.5, 0.2, 0]])]);
    const ze = tf.tensor2d([
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ]);
    expect(layer.resetDeadCodes(ze, 1)).toBe(2);
    const codes = layer.codebook().arraySync();
    const groupRows = [[5, 6], [7, 8], [9, 10], [11, 12]].map((r) => r.join());
    expect(codes[0]).toEqual([0, 0]);
    expect(groupRows).toContain(codes[1].join());
    expect(groupRows).toContain(codes[2].join());
    // All used: nothing to do.
    layer.setWeights([tf.tensor2d(CODES), tf.ones([2, 3])]);
    expect(layer.resetDeadCodes(ze, 1)).toBe(0);
    expect(layer.codebook().arraySync()).toEqual(CODES);
    disposeLayer(layer);
  });

  it('the first training step starts every code at an encoder output (reset), or leaves the codebook alone (keep)', () => {
    const x = tf.randomUniform([6, 784], 0, 1, 'float32', 1) as tf.Tensor2D;
    for (const deadCodes of ['reset', 'keep']) {
      const model = build({ hidden: [16], latent: 4, codeGroups: 2, codebookSize: 5, deadCodes }, 3);
      const initial = model.quantizer.codebook().arraySync();
      const groupRows = (model.networks.encoder.apply(x) as tf.Tensor2D).arraySync().flatMap((r) => [r.slice(0, 2).join(), r.slice(2).join()]);
      model.forward({ x }, { training: true, epoch: 0, rng: new Rng(0) });
      const after = model.quantizer.codebook().arraySync();
      if (deadCodes === 'reset') for (const code of after) expect(groupRows).toContain(code.join());
      else expect(after).toEqual(initial);
      expect(model.singleThreadTraining !== undefined).toBe(deadCodes === 'reset');
      model.dispose();
    }
  });

  it('with resets, training refuses more than one worker, naming the field', async () => {
    const model = build({ hidden: [8], latent: 2 }, 0);
    const optimizer = tf.train.adam(1e-3);
    const request = { model, optimizer, batchSize: 8, dim: 784, lr: 1e-3, workers: 2 };
    await expect(createEngine(request)).rejects.toMatchObject({ field: 'workers', message: /^workers must be 1 for this model: dead-code resets \(deadCodes reset\)/ });
    optimizer.dispose();
    model.dispose();
  });
});

describe('the VQ-VAE model', () => {
  let data: Dataset;
  let test: Dataset;
  beforeAll(async () => {
    data = await loadDataset('sprites', { split: 'train', limit: 2000 });
    test = await loadDataset('sprites', { split: 'test', limit: 500 });
  });

  it('a short sprites training lowers recon, uses many codes, and reports perplexity per epoch', async () => {
    const model = build({ hidden: [128], latent: 16, codeGroups: 4, codebookSize: 64 }, 0);
    const before = evaluateLoss(model, test).terms;
    const result = await train(model, data, test, { epochs: 6, batchSize: 50, lr: 2e-3, seed: 0 });
    const after = evaluateLoss(model, test).terms;
    const last = result.metrics[result.metrics.length - 1];
    expect(last.train_perplexity).toBeGreaterThan(1);
    expect(last.test_perplexity).toBeCloseTo(after.perplexity, 4);
    expect(after.recon).toBeLessThan(0.8 * before.recon);
    expect(after.perplexity).toBeGreaterThan(4);
    console.info(
      `vqvae on sprites (240 steps): test recon ${before.recon.toFixed(1)} → ${after.recon.toFixed(1)}, perplexity ${before.perplexity.toFixed(2)} → ${after.perplexity.toFixed(2)} of 64 codes`,
    );
    model.dispose();
  });

  it.each([
    ['independent', ['decoder', 'encoder', 'quantizer']],
    ['autoregressive', ['decoder', 'encoder', 'prior', 'quantizer']],
  ])('save then reload is exact, prior included (%s)', async (vqPrior, networks) => {
    const model = build({ hidden: [32], latent: 8, codeGroups: 2, codebookSize: 16, vqPrior }, 5);
    const batch = makeBatch(data, null, 0, 32);
    const optimizer = tf.train.adam(1e-2);
    for (let i = 0; i < 5; i++) optimizer.minimize(() => model.forward(batch, { training: true, epoch: 0, rng: new Rng(i) }).loss, false, model.trainableVariables());
    const store = new MemoryRunStore();
    await saveModel(store, model);
    const reloaded = (await restoreModel({ model: model.config, networks: Object.keys(model.networks) } as unknown as RunConfig, store)) as Vqvae;
    expect(Object.keys(reloaded.networks).sort()).toEqual(networks);
    const same = (f: (m: Vqvae) => tf.Tensor) =>
      tf.tidy(() => {
        expect(Array.from(f(reloaded).dataSync())).toEqual(Array.from(f(model).dataSync()));
      });
    same((m) => m.quantizer.usage());
    same((m) => m.quantizer.codebook());
    same((m) => m.encode(batch));
    same((m) => m.samplePrior(10, 3, 1));
    same((m) => m.logPriorOfIndices(m.codeIndices(batch)));
    same((m) => m.forward(batch, { training: false, epoch: 1, rng: new Rng(0) }).loss);
    expect(tf.sum(model.quantizer.usage()).dataSync()[0]).toBeGreaterThan(0);
    optimizer.dispose();
    disposeBatch(batch);
    model.dispose();
    reloaded.dispose();
  });

  it.each(['independent', 'autoregressive'])('encodes, samples, scores indices and steps without leaking tensors (%s)', (vqPrior) => {
    const model = build({ hidden: [16], latent: 4, codeGroups: 2, codebookSize: 8, vqPrior }, 6);
    const batch = makeBatch(data, null, 0, 16);
    const optimizer = tf.train.adam(1e-3);
    const step = () => optimizer.minimize(() => model.forward(batch, { training: true, epoch: 1, rng: new Rng(1) }).loss, false, model.trainableVariables());
    step();
    const tensors = tf.memory().numTensors;
    step();
    model.encode(batch).dispose();
    model.samplePrior(5, 1, 0.5).dispose();
    tf.tidy(() => {
      model.logPriorOfIndices(model.codeIndices(batch));
    });
    tf.tidy(() => {
      model.forward(batch, { training: false, epoch: 1, rng: new Rng(1) });
    });
    expect(tf.memory().numTensors).toBe(tensors);
    optimizer.dispose();
    disposeBatch(batch);
    model.dispose();
  });

  it('refuses bad settings with one error naming the field', () => {
    const def = getModelDefinition('vqvae');
    const error = (input: Record<string, unknown>) => {
      try {
        def.resolveConfig(input, sprites);
      } catch (err) {
        return err as FieldError;
      }
      throw new Error('accepted');
    };
    expect(error({ latent: 10, codeGroups: 4 }).field).toBe('codeGroups');
    expect(error({ latent: 10, codeGroups: 4 }).message).toMatch(/^codeGroups 4 does not divide latent 10/);
    expect(error({ codebookSize: 0 }).field).toBe('codebookSize');
    expect(error({ commitment: -1 }).field).toBe('commitment');
    expect(error({ beta: 1 }).message).toMatch(/^beta is not an option of model 'vqvae'/);
    const config = def.resolveConfig({}, sprites) as VqvaeConfig;
    expect(config).toMatchObject({ codebookSize: 512, codeGroups: 1, commitment: 0.25, latent: 32, loss: 'bce', vqPrior: 'autoregressive' });
    expect(error({ vqPrior: 'markov' }).field).toBe('vqPrior');
    expect(def.resolveConfig(config as unknown as Record<string, unknown>, sprites)).toEqual(config);
  });
});
