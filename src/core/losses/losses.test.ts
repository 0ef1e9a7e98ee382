import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../test/helpers.js';
import { bceWithLogits, gaussianNll, klStandardNormal, logNormalDiag, logStandardNormal, sumSquaredError } from './index.js';

beforeAll(async () => {
  await setup('cpu');
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('KL(N(μ, σ²) ‖ N(0, 1))', () => {
  it('matches the closed form worked by hand', () => {
    // One dimension: KL = ½(σ² + μ² − 1 − ln σ²). μ = 1, σ² = 2: ½(2 + 1 − 1 − ln 2) = 1 − ½ ln 2.
    // Second dimension μ = 0, σ² = 1: 0. Second row μ = −0.5, σ² = e^−1: ½(e^−1 + 0.25 − 1 + 1).
    const mu = tf.tensor2d([[1, 0], [-0.5, 0]]);
    const logVar = tf.tensor2d([[Math.log(2), 0], [-1, 0]]);
    const kl = values(klStandardNormal(mu, logVar));
    expect(kl[0]).toBeCloseTo(1 - 0.5 * Math.log(2), 5);
    expect(kl[1]).toBeCloseTo(0.5 * (Math.exp(-1) + 0.25), 5);
  });

  it('matches a Monte Carlo estimate E_q[log q(z) − log p(z)]', () => {
    const mu = tf.tensor2d([[0.7, -1.2, 0.1]]);
    const logVar = tf.tensor2d([[-0.5, 0.8, -2]]);
    const closed = values(klStandardNormal(mu, logVar))[0];
    const n = 200_000;
    const eps = tf.randomNormal([n, 3], 0, 1, 'float32', 42);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps));
    const mc = tf.mean(tf.sub(logNormalDiag(z, mu, logVar), logStandardNormal(z))).dataSync()[0];
    // Standard error here is about 0.004; allow five of them.
    expect(Math.abs(mc - closed)).toBeLessThan(0.02);
  });
});

describe('binary cross-entropy from logits', () => {
  it('equals the naive formula −[x log p + (1−x) log(1−p)] where both are finite', () => {
    const logits = tf.tensor2d([[-3, -0.5, 0, 0.5, 3, 8]]);
    const x = tf.tensor2d([[0, 0.2, 0.5, 1, 0.9, 0.3]]);
    const p = values(tf.sigmoid(logits));
    const xs = values(x);
    const naive = xs.reduce((s, xi, i) => s - (xi * Math.log(p[i]) + (1 - xi) * Math.log(1 - p[i])), 0);
    expect(values(bceWithLogits(logits, x))[0]).toBeCloseTo(naive, 4);
  });

  it('stays finite for logits where the naive form gives log(0)', () => {
    const logits = tf.tensor2d([[-200, 200, 90]]);
    const x = tf.tensor2d([[1, 0, 1]]);
    const [v] = values(bceWithLogits(logits, x));
    // −log σ(−200) = 200, −log(1 − σ(200)) = 200, −log σ(90) ≈ 0.
    expect(v).toBeCloseTo(400, 3);
  });
});

describe('Gaussian terms', () => {
  it('negative log-likelihood matches ½[(x−μ)²/σ² + log 2πσ²] by hand', () => {
    const nll = values(gaussianNll(tf.tensor2d([[0.5, 0]]), tf.scalar(Math.log(0.25)), tf.tensor2d([[1, 0]])))[0];
    const expected = 0.5 * (0.25 / 0.25 + Math.log(2 * Math.PI * 0.25)) + 0.5 * (0 + Math.log(2 * Math.PI * 0.25));
    expect(nll).toBeCloseTo(expected, 5);
  });

  it('sum of squared errors', () => {
    expect(values(sumSquaredError(tf.tensor2d([[1, 2], [0, 0]]), tf.tensor2d([[0, 0], [0, 3]])))).toEqual([5, 9]);
  });

  it('log N(z; 0, I) matches the density', () => {
    const v = values(logStandardNormal(tf.tensor2d([[1, -2]])))[0];
    expect(v).toBeCloseTo(-0.5 * (1 + 4) - Math.log(2 * Math.PI), 5);
  });
});
