import * as tf from '@tensorflow/tfjs-core';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { Rng } from '../../random.js';
import { train } from '../../train/trainer.js';
import { getModelDefinition } from '../registry.js';
import type { Autoencoder } from '../types.js';
import { floatPixels, pixelRange } from '../../data/pixels.js';

beforeAll(async () => {
  await setup('wasm');
});

/** n points near a 4-dimensional subspace of R^64 (variances 9, 6, 4, 3) plus small isotropic noise. */
function lowRankData(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const dim = 64;
  const basis = Matrix.rand(dim, 4, { random: () => rng.next() - 0.5 });
  const q = new SingularValueDecomposition(basis).leftSingularVectors.subMatrix(0, dim - 1, 0, 3);
  const scales = [3, Math.sqrt(6), 2, Math.sqrt(3)];
  const images = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const s = scales.map((sc) => sc * rng.normal());
    for (let p = 0; p < dim; p++) {
      let v = 0.5 + 0.1 * rng.normal();
      for (let j = 0; j < 4; j++) v += q.get(p, j) * s[j];
      images[i * dim + p] = v;
    }
  }
  return { name: 'low-rank', split: 'train', n, shape: [8, 8, 1], pixels: floatPixels(images), labels: new Int32Array(n), numClasses: 1 };
}

/** Orthonormal basis (columns) of the top-k principal directions, by SVD of the centred data. */
function principalBasis(ds: Dataset, k: number): Matrix {
  const values = pixelRange(ds);
  const dim = values.length / ds.n;
  const x = new Matrix(ds.n, dim);
  for (let i = 0; i < ds.n; i++) for (let p = 0; p < dim; p++) x.set(i, p, values[i * dim + p]);
  const centred = x.clone().subRowVector(x.mean('column'));
  const v = new SingularValueDecomposition(centred).rightSingularVectors;
  return v.subMatrix(0, dim - 1, 0, k - 1);
}

/** Orthonormal basis of the span of a linear decoder's weights: rows decode(e_i) − decode(0). */
function decoderBasis(model: Autoencoder): Matrix {
  const L = model.config.latent;
  const out = tf.tidy(() => model.decode(tf.concat([tf.zeros([1, L]), tf.eye(L)]) as tf.Tensor2D).arraySync() as number[][]);
  const w = new Matrix(out.slice(1).map((row) => row.map((v, j) => v - out[0][j]))).transpose(); // dim × L
  return new SingularValueDecomposition(w).leftSingularVectors.subMatrix(0, w.rows - 1, 0, L - 1);
}

/** Largest principal angle between two subspaces, in degrees: acos of the smallest singular value of AᵀB. */
function largestPrincipalAngle(a: Matrix, b: Matrix): number {
  const cosines = new SingularValueDecomposition(a.transpose().mmul(b)).diagonal;
  return (Math.acos(Math.min(1, Math.min(...cosines))) * 180) / Math.PI;
}

describe('linear autoencoder', () => {
  it('learns the PCA subspace: small principal angles between its decoder span and the top-k components', async () => {
    const data = lowRankData(2000, 1);
    const def = getModelDefinition('ae');
    const config = def.resolveConfig({ hidden: [16], latent: 4, activation: 'linear', loss: 'mse' }, { shape: data.shape, numClasses: 1 });
    expect(config).toMatchObject({ loss: 'mse' });
    const model = def.create(config, new Rng(0));
    const before = largestPrincipalAngle(decoderBasis(model), principalBasis(data, 4));
    await train(model, data, { ...data, n: 200 }, { epochs: 15, batchSize: 100, lr: 5e-3, seed: 0 });
    const after = largestPrincipalAngle(decoderBasis(model), principalBasis(data, 4));
    expect(before).toBeGreaterThan(45);
    expect(after).toBeLessThan(5);
    console.info(`linear AE: largest principal angle to the PCA subspace ${before.toFixed(1)}° before training, ${after.toFixed(2)}° after`);
    model.dispose();
  });

  it('defaults to the sandwich 784-512-256-32-256-512-784 with a sigmoid output and BCE', () => {
    const def = getModelDefinition('ae');
    const config = def.resolveConfig({}, { shape: [28, 28, 1], numClasses: 10 });
    expect(config).toMatchObject({ hidden: [512, 256], latent: 32, loss: 'bce' });
    const model = def.create(config, new Rng(0));
    const dense = (net: 'encoder' | 'decoder') => model.networks[net].layers.filter((l) => l.getClassName() === 'Dense').map((l) => (l.getConfig() as { units: number }).units);
    expect(dense('encoder')).toEqual([512, 256, 32]);
    expect(dense('decoder')).toEqual([256, 512, 784]);
    expect((model.networks.decoder.getLayer('decoder_output').getConfig() as { activation: string }).activation).toBe('sigmoid');
    expect(() => def.resolveConfig({ latent: 784 }, { shape: [28, 28, 1], numClasses: 10 })).toThrow(/bottleneck/);
    model.dispose();
  });
});
