import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { logMeanExp } from '../../eval/metrics/logsumexp.js';
import type { Autoencoder, Batch } from '../../models/types.js';
import { Rng } from '../../random.js';
import { setup } from '../../../../test/helpers.js';
import { codeDistances, fitScoreSettings, reconMeasureFor, resolveScoreSettings, scoreDataset } from './scores.js';
import { floatPixels, pixelRange } from '../../data/pixels.js';

const DIM = 6;

/**
 * A stand-in model with known outputs: encode is the identity, decode returns
 * `output` everywhere, and (optionally) the log weights are uniform draws from
 * the rng, so a test can replay the same stream.
 */
function fakeModel(output: number, withWeights: boolean, likelihood: 'bernoulli' | 'gaussian' = 'bernoulli'): Autoencoder {
  const model = {
    likelihood,
    config: { model: 'fake', arch: 'mlp', inputShape: [1, DIM, 1], numClasses: 1, hidden: [], latent: DIM, activation: 'linear' },
    networks: {},
    generative: withWeights,
    conditional: false,
    forward: () => {
      throw new Error('not used');
    },
    encode: (batch: Batch) => tf.clone(batch.x),
    decode: (z: tf.Tensor2D) => tf.fill(z.shape, output) as tf.Tensor2D,
    trainableVariables: () => [],
    dispose: () => {},
  } as unknown as Autoencoder;
  if (withWeights) {
    model.logImportanceWeights = (batch: Batch, samples: number, rng: Rng) => {
      const b = batch.x.shape[0];
      return tf.tensor2d(Float32Array.from({ length: b * samples }, () => -10 * rng.next()), [b, samples]);
    };
  }
  return model;
}

function dataset(n: number): Dataset {
  const images = Float32Array.from({ length: n * DIM }, (_, i) => ((i * 7) % 11) / 10);
  return { name: 'fake', split: 'test', n, shape: [1, DIM, 1], pixels: floatPixels(images), labels: new Int32Array(n), numClasses: 1 };
}

describe('anomaly scores', () => {
  beforeAll(() => setup('wasm'));

  it('recon with a sigmoid decoder is BCE: D·log 2 for a decoder that outputs ½ everywhere', () => {
    const model = fakeModel(0.5, false);
    const settings = resolveScoreSettings(model, { kind: 'recon' });
    expect(settings.measure).toBe('bce');
    const scores = scoreDataset(model, dataset(5), settings, 2);
    for (const s of scores) expect(s).toBeCloseTo(DIM * Math.log(2), 4);
  });

  it('recon of a Gaussian model is the squared error: Σ x² for a decoder that outputs 0', () => {
    const ds = dataset(4);
    const model = fakeModel(0, false, 'gaussian');
    const scores = scoreDataset(model, ds, resolveScoreSettings(model, {}), 3);
    const x = pixelRange(ds);
    for (let i = 0; i < ds.n; i++) {
      let expected = 0;
      for (let p = 0; p < DIM; p++) expected += x[i * DIM + p] ** 2;
      expect(scores[i]).toBeCloseTo(expected, 5);
    }
  });

  it('elbo and iwae are −mean and −log-mean-exp of the same K log weights, streamed in chunks', () => {
    const model = fakeModel(0, true);
    const n = 3;
    const samples = 100; // two chunks: 64 + 36
    // Replay the rng stream: per batch (all 3 rows), the first chunk's [3, 64] values, then [3, 36].
    const rng = new Rng(7);
    const draws = [64, 36].map((k) => Float32Array.from({ length: n * k }, () => -10 * rng.next()));
    const rows = Array.from({ length: n }, (_, i) => [...draws[0].subarray(i * 64, (i + 1) * 64), ...draws[1].subarray(i * 36, (i + 1) * 36)]);
    const elbo = scoreDataset(model, dataset(n), resolveScoreSettings(model, { kind: 'elbo', samples, seed: 7 }), n);
    const iwae = scoreDataset(model, dataset(n), resolveScoreSettings(model, { kind: 'iwae', samples, seed: 7 }), n);
    for (let i = 0; i < n; i++) {
      expect(elbo[i]).toBeCloseTo(-rows[i].reduce((s, v) => s + v, 0) / samples, 5);
      expect(iwae[i]).toBeCloseTo(-logMeanExp(rows[i]), 5);
      expect(iwae[i]).toBeLessThanOrEqual(elbo[i] + 1e-9); // Jensen: the IWAE bound is tighter
    }
  });

  it('leaks no tensors', () => {
    const model = fakeModel(0.5, true);
    const before = tf.memory().numTensors;
    scoreDataset(model, dataset(10), resolveScoreSettings(model, { kind: 'iwae', samples: 70 }), 4);
    scoreDataset(model, dataset(10), resolveScoreSettings(model, { kind: 'recon' }), 4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses elbo/iwae for a model without q(z|x), and bad sample counts', () => {
    expect(() => resolveScoreSettings(fakeModel(0, false), { kind: 'elbo' })).toThrow(UsageError);
    expect(() => resolveScoreSettings(fakeModel(0, false), { kind: 'iwae' })).toThrow(/latent-variable model/);
    expect(() => resolveScoreSettings(fakeModel(0, true), { kind: 'iwae', samples: 0 })).toThrow(expect.objectContaining({ field: 'iwae' }));
    expect(() => resolveScoreSettings(fakeModel(0, true), { kind: 'lof' as never })).toThrow(expect.objectContaining({ field: 'score' }));
  });

  it('measures recon error by the likelihood the model declares', () => {
    expect(reconMeasureFor({ likelihood: 'bernoulli' })).toBe('bce');
    expect(reconMeasureFor({ likelihood: 'gaussian' })).toBe('squared-error');
  });
});

/** A dataset of the given 2-feature rows (the fake model's code is the row itself). */
function rows2(values: number[][]): Dataset {
  return { name: 'fake', split: 'test', n: values.length, shape: [1, 2, 1], pixels: floatPixels(Float32Array.from(values.flat())), labels: new Int32Array(values.length), numClasses: 1 };
}

describe('recon-code score', () => {
  beforeAll(() => setup('wasm'));

  it('is the standardized squared error plus the standardized Mahalanobis distance, by hand on five codes', () => {
    // Codes = rows (encode is the identity), decoder outputs 0, so the error is ‖x‖².
    // Calibration rows (1,0) (−1,0) (0,2) (0,−2) (0,0): mean 0, population covariance diag(0.4, 1.6);
    // errors 1 1 4 4 0 (mean 2, variance 14/5); distances 2.5 ×4 and 0 (mean 2, sd 1).
    const model = fakeModel(0, false, 'gaussian');
    const settings = fitScoreSettings(model, rows2([[1, 0], [-1, 0], [0, 2], [0, -2], [0, 0]]), resolveScoreSettings(model, { kind: 'recon-code' }));
    expect(settings.code!.recon.mean).toBeCloseTo(2, 6);
    expect(settings.code!.recon.sd).toBeCloseTo(Math.sqrt(14 / 5), 6);
    expect(settings.code!.distance.mean).toBeCloseTo(2, 6);
    expect(settings.code!.distance.sd).toBeCloseTo(1, 6);
    // (2, 2): error 8, distance 4/0.4 + 4/1.6 = 12.5.
    const [score] = scoreDataset(model, rows2([[2, 2]]), settings);
    expect(score).toBeCloseTo((8 - 2) / Math.sqrt(14 / 5) + (12.5 - 2) / 1, 5);
  });

  it('measures distance by the inverse covariance of correlated codes (2×2 inverse in closed form)', () => {
    const model = fakeModel(0, false, 'gaussian');
    const rng = new Rng(3);
    const calib = Array.from({ length: 50 }, () => {
      const [a, b] = [rng.next() - 0.5, rng.next() - 0.5];
      return [1 + a, 2 + a + 0.3 * b];
    });
    const { code } = fitScoreSettings(model, rows2(calib), resolveScoreSettings(model, { kind: 'recon-code' }));
    const n = calib.length;
    const mean = [0, 1].map((j) => calib.reduce((s, r) => s + r[j], 0) / n);
    const cov = (i: number, j: number) => calib.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / n;
    const [a, b, d] = [cov(0, 0), cov(0, 1), cov(1, 1)];
    const det = a * d - b * b;
    for (const [x, y] of [[0, 0], [1.5, 2.5], [1, 3]]) {
      const [u, v] = [x - mean[0], y - mean[1]];
      const expected = (d * u * u - 2 * b * u * v + a * v * v) / det;
      expect(codeDistances([x, y], 1, code!)[0]).toBeCloseTo(expected, 3);
    }
  });

  it('averages to 0 on its calibration rows, refuses scoring unfitted, and leaks no tensors', () => {
    const model = fakeModel(0, false, 'gaussian');
    const ds = dataset(20);
    const before = tf.memory().numTensors;
    const settings = fitScoreSettings(model, ds, resolveScoreSettings(model, { kind: 'recon-code' }));
    const scores = scoreDataset(model, ds, settings, 7);
    expect(tf.memory().numTensors).toBe(before);
    expect(scores.reduce((s, v) => s + v, 0) / ds.n).toBeCloseTo(0, 6);
    expect(() => scoreDataset(model, ds, resolveScoreSettings(model, { kind: 'recon-code' }))).toThrow(/calibrate/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('elbo and iwae scores of a real VAE', () => {
  beforeAll(() => setup('wasm'));

  it('average to the ELBO and IWAE of the evaluator (an independent implementation with other draws)', async () => {
    const { loadDataset } = await import('../../data/load.js');
    const { getModelDefinition } = await import('../../models/registry.js');
    const { iwaeLogLikelihood } = await import('../../eval/iwae.js');
    const ds = await loadDataset('sprites', { split: 'test', limit: 100 });
    const definition = getModelDefinition('vae');
    const model = definition.create(definition.resolveConfig({ hidden: [32], latent: 4 }, { shape: ds.shape, numClasses: ds.numClasses }), new Rng(0));
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const elbo = mean(scoreDataset(model, ds, resolveScoreSettings(model, { kind: 'elbo', samples: 64, seed: 1 })));
    const iwae = mean(scoreDataset(model, ds, resolveScoreSettings(model, { kind: 'iwae', samples: 64, seed: 1 })));
    const reference = iwaeLogLikelihood(model, ds, { samples: 64, seed: 2 });
    model.dispose();
    // Different draws: the means over 100 examples × 64 samples agree to Monte Carlo error (measured
    // 1.5e-4 relative). Dropping the − log K of the IWAE mean would be off by log 64 ≈ 4.2 nats (~0.8 %).
    expect(Math.abs(elbo + reference.meanElbo) / Math.abs(reference.meanElbo)).toBeLessThan(1e-3);
    expect(Math.abs(iwae + reference.meanLogLikelihood) / Math.abs(reference.meanLogLikelihood)).toBeLessThan(1e-3);
    expect(iwae).toBeLessThan(elbo); // the IWAE bound is tighter
  });
});
