import * as tf from '@tensorflow/tfjs-core';
import { Matrix, determinant, inverse } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../test/helpers.js';
import { loadDataset } from '../data/load.js';
import type { Dataset } from '../data/types.js';
import { getModelDefinition } from '../models/registry.js';
import type { Autoencoder } from '../models/types.js';
import { Rng } from '../random.js';
import { train } from '../train/trainer.js';
import { iwaeLogLikelihood } from './iwae.js';
import { examplePixels } from '../data/pixels.js';

let trainSet: Dataset;
let testSet: Dataset;

beforeAll(async () => {
  await setup('wasm');
  trainSet = await loadDataset('sprites', { split: 'train', limit: 1500 });
  testSet = await loadDataset('sprites', { split: 'test', limit: 60 });
});

async function trained(input: Record<string, unknown>): Promise<Autoencoder> {
  const def = getModelDefinition('vae');
  const model = def.create(def.resolveConfig(input, { shape: trainSet.shape, numClasses: trainSet.numClasses }), new Rng(0));
  await train(model, trainSet, testSet, { epochs: 4, batchSize: 100, lr: 2e-3, seed: 0 });
  return model;
}

/**
 * Exact log p(x) of a VAE with a linear decoder and fixed σ: x = Wz + b + σε, so
 * p(x) = N(b, WᵀW + σ²I). Computed with the matrix determinant lemma and Woodbury,
 * using only L×L matrices.
 */
function exactLinearGaussianLogLikelihood(model: Autoencoder, x: Float32Array, sigma: number): number {
  const L = model.config.latent;
  const D = x.length;
  const out = tf.tidy(() => model.decode(tf.concat([tf.zeros([1, L]), tf.eye(L)]) as tf.Tensor2D).arraySync() as number[][]);
  const b = out[0];
  const W = new Matrix(out.slice(1).map((row) => row.map((v, j) => v - b[j]))); // L × D
  const s2 = sigma * sigma;
  const inner = Matrix.eye(L).add(W.mmul(W.transpose()).div(s2)); // I + W Wᵀ/σ²
  const r = Matrix.columnVector(Array.from(x, (v, j) => v - b[j]));
  const Wr = W.mmul(r); // L × 1
  const quad = r.transpose().mmul(r).get(0, 0) / s2 - Wr.transpose().mmul(inverse(inner)).mmul(Wr).get(0, 0) / (s2 * s2);
  const logDet = D * Math.log(s2) + Math.log(determinant(inner));
  return -0.5 * (D * Math.log(2 * Math.PI) + logDet + quad);
}

describe('IWAE log-likelihood', () => {
  it('is ≥ the ELBO on every example and rises with K on a trained model', async () => {
    const model = await trained({ hidden: [64], latent: 4 });
    const means: number[] = [];
    for (const k of [1, 10, 100, 1000]) {
      const r = iwaeLogLikelihood(model, testSet, { samples: k, chunk: 100, seed: 1 });
      for (let i = 0; i < testSet.n; i++) expect(r.logLikelihood[i]).toBeGreaterThanOrEqual(r.elbo[i] - 1e-9);
      if (k === 1) for (let i = 0; i < testSet.n; i++) expect(r.logLikelihood[i]).toBeCloseTo(r.elbo[i], 6);
      means.push(r.meanLogLikelihood);
    }
    for (let i = 1; i < means.length; i++) expect(means[i]).toBeGreaterThan(means[i - 1]);
    model.dispose();
  });

  it('is reproducible for a fixed seed', async () => {
    const model = await trained({ hidden: [32], latent: 2 });
    const small = { ...testSet, n: 10 };
    const whole = iwaeLogLikelihood(model, small, { samples: 200, chunk: 200, batchSize: 10, seed: 3 });
    const again = iwaeLogLikelihood(model, small, { samples: 200, chunk: 200, batchSize: 10, seed: 3 });
    expect(Array.from(again.logLikelihood)).toEqual(Array.from(whole.logLikelihood));
    model.dispose();
  });

  it('approaches the exact log p(x) of a linear-Gaussian VAE from below as K grows', async () => {
    const sigma = 0.3;
    const model = await trained({ hidden: [16], latent: 3, activation: 'linear', decoder: 'gaussian', sigma });
    const few = { ...testSet, n: 3 };
    const small = iwaeLogLikelihood(model, few, { samples: 1000, chunk: 500, seed: 2 });
    const large = iwaeLogLikelihood(model, few, { samples: 10000, chunk: 1000, seed: 2 });
    for (let i = 0; i < few.n; i++) {
      const exact = exactLinearGaussianLogLikelihood(model, examplePixels(few, i), sigma);
      // ELBO ≤ IWAE ≤ log p(x): both are lower bounds (IWAE up to Monte Carlo noise)...
      expect(small.elbo[i]).toBeLessThan(small.logLikelihood[i]);
      expect(small.logLikelihood[i]).toBeLessThan(exact + 0.1);
      expect(large.logLikelihood[i]).toBeLessThan(exact + 0.1);
      // ...and IWAE with 10⁴ samples closes a real part of the ELBO's gap to the truth.
      expect(exact - large.logLikelihood[i]).toBeLessThan(0.9 * (exact - small.elbo[i]));
    }
    model.dispose();
  });

  it('refuses models without q(z|x) and bad K', async () => {
    const def = getModelDefinition('ae');
    const ae = def.create(def.resolveConfig({ hidden: [8], latent: 2 }, { shape: trainSet.shape, numClasses: 4 }), new Rng(0));
    expect(() => iwaeLogLikelihood(ae, testSet, { samples: 10 })).toThrow(/needs a latent-variable model/);
    ae.dispose();
  });
});
