import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../../test/helpers.js';
import { loadDataset } from '../../data/load.js';
import { Rng } from '../../random.js';
import { train } from '../../train/trainer.js';
import { getModelDefinition } from '../registry.js';
import type { DataInfo } from '../types.js';
import { klDecomposition } from './decomposition.js';

beforeAll(async () => {
  await setup('cpu');
});

const logNormal = (x: number, mu: number, logVar: number) => -0.5 * ((x - mu) ** 2 / Math.exp(logVar) + logVar + Math.log(2 * Math.PI));
const logSumExp = (xs: number[]) => {
  const top = Math.max(...xs);
  return top + Math.log(xs.reduce((s, x) => s + Math.exp(x - top), 0));
};

/** The three parts written out example by example, in float64. */
function byHand(z: number[][], mu: number[][], logVar: number[][], N: number) {
  const M = z.length;
  const L = z[0]!.length;
  const logNM = Math.log(N * M);
  let mi = 0;
  let tc = 0;
  let dimKl = 0;
  for (let i = 0; i < M; i++) {
    const logQzx = z[i]!.reduce((s, zd, d) => s + logNormal(zd, mu[i]![d]!, logVar[i]![d]!), 0);
    const logQz = logSumExp(mu.map((_, j) => z[i]!.reduce((s, zd, d) => s + logNormal(zd, mu[j]![d]!, logVar[j]![d]!), 0))) - logNM;
    let logProduct = 0;
    for (let d = 0; d < L; d++) logProduct += logSumExp(mu.map((_, j) => logNormal(z[i]![d]!, mu[j]![d]!, logVar[j]![d]!))) - logNM;
    const logPz = z[i]!.reduce((s, zd) => s + logNormal(zd, 0, 0), 0);
    mi += (logQzx - logQz) / M;
    tc += (logQz - logProduct) / M;
    dimKl += (logProduct - logPz) / M;
  }
  return { mi, tc, dimKl };
}

describe('the KL decomposition', () => {
  it('matches the estimate written out example by example, and its parts add up to E[log q(z|x) − log p(z)]', () => {
    const rng = new Rng(4);
    const draw = (scale: number, shift = 0) => Array.from({ length: 5 }, () => Array.from({ length: 3 }, () => (rng.next() * 2 - 1) * scale + shift));
    const mu = draw(1.5);
    const logVar = draw(0.8, -0.5);
    const z = mu.map((r, i) => r.map((m, d) => m + Math.exp(0.5 * logVar[i]![d]!) * (rng.next() * 2 - 1)));
    const parts = tf.tidy(() => {
      const p = klDecomposition(tf.tensor2d(z), tf.tensor2d(mu), tf.tensor2d(logVar), 1000);
      return { mi: p.mi.dataSync()[0]!, tc: p.tc.dataSync()[0]!, dimKl: p.dimKl.dataSync()[0]! };
    });
    const expected = byHand(z, mu, logVar, 1000);
    expect(parts.mi).toBeCloseTo(expected.mi, 3);
    expect(parts.tc).toBeCloseTo(expected.tc, 3);
    expect(parts.dimKl).toBeCloseTo(expected.dimKl, 3);
    const direct = z.reduce((s, row, i) => s + row.reduce((t, zd, d) => t + logNormal(zd, mu[i]![d]!, logVar[i]![d]!) - logNormal(zd, 0, 0), 0), 0) / z.length;
    expect(parts.mi + parts.tc + parts.dimKl).toBeCloseTo(direct, 3);
  });
});

describe('the β-TCVAE model', () => {
  const data: DataInfo = { shape: [28, 28, 1], numClasses: 4, examples: 1000 };

  it('takes β on the total correlation, N from the data, and refuses beta', () => {
    const def = getModelDefinition('btcvae');
    const config = def.resolveConfig({}, data);
    expect(config).toMatchObject({ model: 'btcvae', tcWeight: 6, datasetSize: 1000, beta: 1 });
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
