import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../../test/helpers.js';
import { loadDataset } from '../../data/load.js';
import { Rng } from '../../random.js';
import { train } from '../../train/trainer.js';
import { getModelDefinition } from '../registry.js';
import type { DataInfo } from '../types.js';
import { klDecomposition, logImportanceWeights } from './decomposition.js';

beforeAll(async () => {
  await setup('cpu');
});

const logNormal = (x: number, mu: number, logVar: number) => -0.5 * ((x - mu) ** 2 / Math.exp(logVar) + logVar + Math.log(2 * Math.PI));

/** The estimator's weight w_ij of q(z|x_j) in the estimate of q(z_i), written out case by case. */
function weight(estimator: 'mws' | 'mss', i: number, j: number, M: number, N: number): number {
  if (estimator === 'mws' || M === 1) return 1 / (N * M);
  if (j === i) return 1 / N;
  if (j === (i + 1) % M) return (N - M + 1) / (N * (M - 1));
  return 1 / (M - 1);
}

/** The three parts written out example by example in float64, densities summed as they are (no log-sum-exp). */
function byHand(z: number[][], mu: number[][], logVar: number[][], N: number, estimator: 'mws' | 'mss' = 'mws') {
  const M = z.length;
  const L = z[0]!.length;
  const density = (i: number, j: number, d: number) => Math.exp(logNormal(z[i]![d]!, mu[j]![d]!, logVar[j]![d]!));
  let mi = 0;
  let tc = 0;
  let dimKl = 0;
  for (let i = 0; i < M; i++) {
    let qzx = 1;
    let pz = 1;
    for (let d = 0; d < L; d++) {
      qzx *= density(i, i, d);
      pz *= Math.exp(logNormal(z[i]![d]!, 0, 0));
    }
    let qz = 0;
    for (let j = 0; j < M; j++) {
      let joint = 1;
      for (let d = 0; d < L; d++) joint *= density(i, j, d);
      qz += weight(estimator, i, j, M, N) * joint;
    }
    let product = 1;
    for (let d = 0; d < L; d++) {
      let marginal = 0;
      for (let j = 0; j < M; j++) marginal += weight(estimator, i, j, M, N) * density(i, j, d);
      product *= marginal;
    }
    mi += Math.log(qzx / qz) / M;
    tc += Math.log(qz / product) / M;
    dimKl += Math.log(product / pz) / M;
  }
  return { mi, tc, dimKl };
}

/** A batch of M codes of size 3: means, log-variances and one draw from each q(z|x). */
function tinyBatch(seed: number, M: number) {
  const rng = new Rng(seed);
  const draw = (scale: number, shift = 0) => Array.from({ length: M }, () => Array.from({ length: 3 }, () => (rng.next() * 2 - 1) * scale + shift));
  const mu = draw(1.5);
  const logVar = draw(0.8, -0.5);
  const z = mu.map((r, i) => r.map((m, d) => m + Math.exp(0.5 * logVar[i]![d]!) * (rng.next() * 2 - 1)));
  return { z, mu, logVar };
}

function decompose(batch: ReturnType<typeof tinyBatch>, N: number, estimator: 'mws' | 'mss') {
  return tf.tidy(() => {
    const p = klDecomposition(tf.tensor2d(batch.z), tf.tensor2d(batch.mu), tf.tensor2d(batch.logVar), N, estimator);
    return { mi: p.mi.dataSync()[0]!, tc: p.tc.dataSync()[0]!, dimKl: p.dimKl.dataSync()[0]! };
  });
}

describe('the KL decomposition', () => {
  for (const estimator of ['mws', 'mss'] as const) {
    it(`${estimator}: matches the estimate written out example by example, and its parts add up to E[log q(z|x) − log p(z)]`, () => {
      for (const M of [5, 2, 1]) {
        const batch = tinyBatch(4 + M, M);
        const before = tf.memory().numTensors;
        const parts = decompose(batch, 1000, estimator);
        expect(tf.memory().numTensors).toBe(before);
        const expected = byHand(batch.z, batch.mu, batch.logVar, 1000, estimator);
        expect(parts.mi).toBeCloseTo(expected.mi, 3);
        expect(parts.tc).toBeCloseTo(expected.tc, 3);
        expect(parts.dimKl).toBeCloseTo(expected.dimKl, 3);
        const { z, mu, logVar } = batch;
        const direct = z.reduce((s, row, i) => s + row.reduce((t, zd, d) => t + logNormal(zd, mu[i]![d]!, logVar[i]![d]!) - logNormal(zd, 0, 0), 0), 0) / M;
        expect(parts.mi + parts.tc + parts.dimKl).toBeCloseTo(direct, 3);
      }
    });
  }

  it('mss: over every ordered batch holding an example, its estimate of q(z) averages to (1/N) Σ_n q(z|x_n); mws does not', () => {
    // Densities q(z|x_n) of one fixed z under N = 5 examples; batches of M = 3 drawn without replacement, the example first-placed at every slot.
    const q = [0.9, 0.05, 0.3, 1.7, 0.02];
    const N = q.length;
    const M = 3;
    const exact = q.reduce((s, v) => s + v, 0) / N;
    const average = (estimator: 'mws' | 'mss') => {
      const logW = logImportanceWeights(estimator, M, N);
      let sum = 0;
      let count = 0;
      for (let self = 0; self < N; self++) {
        for (let slot = 0; slot < M; slot++) {
          // Every ordered choice of the M − 1 others.
          for (let a = 0; a < N; a++) {
            for (let b = 0; b < N; b++) {
              if (a === self || b === self || a === b) continue;
              const others = [a, b];
              const members = [...others.slice(0, slot), self, ...others.slice(slot)];
              sum += members.reduce((s, n, j) => s + Math.exp(logW[slot * M + j]!) * q[n]!, 0);
              count++;
            }
          }
        }
      }
      return sum / count;
    };
    expect(average('mss')).toBeCloseTo(exact, 6);
    expect(Math.abs(average('mws') - exact)).toBeGreaterThan(0.1);
  });

  it('refuses a batch larger than the training set', () => {
    expect(() => logImportanceWeights('mss', 6, 5)).toThrow(/a batch of 6 from a training set of 5/);
  });
});

describe('the β-TCVAE model', () => {
  const data: DataInfo = { shape: [28, 28, 1], numClasses: 4, examples: 1000 };

  it('takes β on the total correlation, N from the data, and refuses beta', () => {
    const def = getModelDefinition('btcvae');
    const config = def.resolveConfig({}, data);
    expect(config).toMatchObject({ model: 'btcvae', tcWeight: 6, tcEstimator: 'mws', datasetSize: 1000, beta: 1 });
    expect(def.resolveConfig({ tcEstimator: 'mss' }, data)).toMatchObject({ tcEstimator: 'mss' });
    expect(() => def.resolveConfig({ tcEstimator: 'exact' }, data)).toThrow(/^tcEstimator must be one of mws, mss/);
    // A saved config keeps its N, whatever data it is later applied to.
    expect(def.resolveConfig({ datasetSize: 500 }, { ...data, examples: undefined })).toMatchObject({ datasetSize: 500 });
    expect(() => def.resolveConfig({ beta: 4 }, data)).toThrow(/^beta must be 1 for model 'btcvae'/);
    expect(() => def.resolveConfig({ tcWeight: -1 }, data)).toThrow(/^tcWeight must be ≥ 0/);
  });

  it('a larger β on the total correlation leaves the codes with less of it', async () => {
    const trainSet = await loadDataset('sprites', { split: 'train', limit: 1000 });
    const testSet = await loadDataset('sprites', { split: 'test', limit: 300 });
    const def = getModelDefinition('btcvae');
    const tcAfter = async (tcWeight: number) => {
      const model = def.create(def.resolveConfig({ hidden: [64], latent: 4, tcWeight }, data), new Rng(3));
      const result = await train(model, trainSet, testSet, { epochs: 3, batchSize: 100, lr: 2e-3, seed: 1 });
      model.dispose();
      return result.metrics[2]!.test_tc!;
    };
    const plain = await tcAfter(1);
    const penalised = await tcAfter(10);
    expect(penalised).toBeLessThan(plain);
  }, 120_000);
});
