// latentkit's batch-norm kernels on cpu and wasm: forward, moments and all three gradients against a
// float64 reference, central differences of it, and TensorFlow.js's own batchNorm on the cpu backend.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../../node/backend/index.js';
import { FastBatchNormalization } from '../../models/shared/layers.js';
import { batchNormTrain, hasBatchNormKernel } from './BatchNorm.js';
import { seeded, size } from './kernels.test-helpers.js';

const EPSILON = 1e-3;

interface Case {
  /** NHWC. */
  shape: number[];
  /** Added to every x: a large mean tests the two-pass statistics. */
  offset?: number;
}

/** x, γ, β and the weights w of the loss Σ y·w, for a case. */
function inputsOf({ shape, offset = 0 }: Case) {
  const c = shape[shape.length - 1]!;
  const n = size(shape);
  return {
    rows: n / c,
    c,
    x: seeded(n, n + c).map((v, i) => offset + 3 * v + (i % c) * 0.5),
    gamma: seeded(c, 7 + c).map((v) => 1 + v),
    beta: seeded(c, 11 + c),
    w: seeded(n, 13 + n),
  };
}

/** Per channel, in float64: mean, population variance, y. */
function reference(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, rows: number, c: number) {
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const y = new Float64Array(rows * c);
  for (let j = 0; j < c; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r * c + j]!;
    mean[j] = s / rows;
    let q = 0;
    for (let r = 0; r < rows; r++) q += (x[r * c + j]! - mean[j]!) ** 2;
    variance[j] = q / rows;
    for (let r = 0; r < rows; r++) y[r * c + j] = (gamma[j]! * (x[r * c + j]! - mean[j]!)) / Math.sqrt(variance[j]! + EPSILON) + beta[j]!;
  }
  return { mean, variance, y };
}

/** Central differences of L = Σ y·w of the float64 reference at the given entries of x, γ, β. */
function finiteDifferences(inputs: ReturnType<typeof inputsOf>, which: 'x' | 'gamma' | 'beta', entries: number[]): number[] {
  const { rows, c, w } = inputs;
  const loss = (values: Float64Array) => {
    const args = { x: Float64Array.from(inputs.x), gamma: Float64Array.from(inputs.gamma), beta: Float64Array.from(inputs.beta), [which]: values };
    const { y } = reference(args.x, args.gamma, args.beta, rows, c);
    return y.reduce((s, v, i) => s + v * w[i]!, 0);
  };
  const base = Float64Array.from(inputs[which]);
  return entries.map((i) => {
    const h = 1e-4 * Math.max(1, Math.abs(base[i]!));
    const plus = Float64Array.from(base);
    const minus = Float64Array.from(base);
    plus[i] += h;
    minus[i] -= h;
    return (loss(plus) - loss(minus)) / (2 * h);
  });
}

/** y, mean, variance and the gradients of Σ y·w through batchNormTrain on the active backend. */
function viaKernels(inputs: ReturnType<typeof inputsOf>) {
  const { rows, c } = inputs;
  return tf.tidy(() => {
    const [x, gamma, beta] = [tf.tensor2d(inputs.x, [rows, c]), tf.tensor1d(inputs.gamma), tf.tensor1d(inputs.beta)];
    const w = tf.tensor2d(inputs.w, [rows, c]);
    let moments: number[][] = [];
    const y = batchNormTrain(x, gamma, beta, EPSILON, (m, v) => (moments = [Array.from(m.dataSync()), Array.from(v.dataSync())]));
    const grads = tf.grads((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(xs as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, EPSILON, () => {}), w)))([x, gamma, beta]);
    return { y: Array.from(y.dataSync()), mean: moments[0]!, variance: moments[1]!, dx: Array.from(grads[0]!.dataSync()), dGamma: Array.from(grads[1]!.dataSync()), dBeta: Array.from(grads[2]!.dataSync()) };
  });
}

/** The same through TensorFlow.js's own moments and batchNorm (tape gradient) on the cpu backend. */
async function viaTfjsCpu(inputs: ReturnType<typeof inputsOf>) {
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  const { rows, c } = inputs;
  const out = tf.tidy(() => {
    const [x, gamma, beta] = [tf.tensor2d(inputs.x, [rows, c]), tf.tensor1d(inputs.gamma), tf.tensor1d(inputs.beta)];
    const w = tf.tensor2d(inputs.w, [rows, c]);
    const f = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(xs, 0);
      return tf.batchNorm(xs, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, EPSILON);
    };
    const grads = tf.grads((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(xs, g, b), w)))([x, gamma, beta]);
    return { y: Array.from(f(x, gamma, beta).dataSync()), dx: Array.from(grads[0]!.dataSync()), dGamma: Array.from(grads[1]!.dataSync()), dBeta: Array.from(grads[2]!.dataSync()) };
  });
  await tf.setBackend(previous);
  return out;
}

/** Largest |a − b| relative to the largest |b| (at least 1). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1;
  let err = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  return err / scale;
}

/** Gradient of Σ y·w in float64: ∂x = γ·inv·(w − mean(w) − x̂·mean(w·x̂)), ∂γ = Σ w·x̂, ∂β = Σ w. */
function referenceGrads(inputs: ReturnType<typeof inputsOf>) {
  const { rows, c, x, gamma, w } = inputs;
  const { mean, variance } = reference(x, gamma, inputs.beta, rows, c);
  const dx = new Float64Array(rows * c);
  const dGamma = new Float64Array(c);
  const dBeta = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const inv = 1 / Math.sqrt(variance[j]! + EPSILON);
    for (let r = 0; r < rows; r++) {
      dBeta[j] += w[r * c + j]!;
      dGamma[j] += w[r * c + j]! * (x[r * c + j]! - mean[j]!) * inv;
    }
    for (let r = 0; r < rows; r++) {
      const xHat = (x[r * c + j]! - mean[j]!) * inv;
      dx[r * c + j] = gamma[j]! * inv * (w[r * c + j]! - dBeta[j]! / rows - (xHat * dGamma[j]!) / rows);
    }
  }
  return { dx, dGamma, dBeta };
}

const CASES: Case[] = [
  { shape: [1, 1, 1, 1] },
  { shape: [1, 4, 4, 1] },
  { shape: [3, 5, 5, 3] },
  { shape: [1, 3, 3, 32] },
  { shape: [5, 4, 3, 32] },
  { shape: [7, 7, 7, 64] },
  { shape: [3, 11, 9, 64] },
  { shape: [2, 6, 6, 32], offset: 1000 },
  { shape: [4, 3, 3, 3], offset: -500 },
];

describe.each(['cpu', 'wasm'] as const)('batch-norm kernels on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
    expect(hasBatchNormKernel()).toBe(true);
  });

  for (const testCase of CASES) {
    const name = `[${testCase.shape}]${testCase.offset ? ` + ${testCase.offset}` : ''}`;
    it(`${name}: y, mean, variance and ∂x, ∂γ, ∂β match float64, central differences and tfjs on cpu, with no leaks`, async () => {
      const inputs = inputsOf(testCase);
      const before = tf.memory().numTensors;
      const got = viaKernels(inputs);
      expect(tf.memory().numTensors).toBe(before);
      const want = reference(inputs.x, inputs.gamma, inputs.beta, inputs.rows, inputs.c);
      const grads = referenceGrads(inputs);
      expect(relativeError(got.y, want.y)).toBeLessThan(1e-5);
      expect(relativeError(got.mean, want.mean)).toBeLessThan(1e-6);
      expect(relativeError(got.variance, want.variance)).toBeLessThan(1e-5);
      expect(relativeError(got.dx, grads.dx)).toBeLessThan(1e-4);
      // The backward pass centres x on the saved float32 mean: far from 0 its rounding (|mean|·2⁻²⁴) shows in ∂γ.
      expect(relativeError(got.dGamma, grads.dGamma)).toBeLessThan(testCase.offset ? 1e-4 : 1e-5);
      expect(relativeError(got.dBeta, grads.dBeta)).toBeLessThan(1e-5);

      // The closed form above against central differences of the float64 forward pass.
      const some = (n: number) => Array.from(new Set([0, 1, n >> 1, n - 1].filter((i) => i >= 0 && i < n)));
      const fdX = finiteDifferences(inputs, 'x', some(inputs.rows * inputs.c));
      expect(relativeError(fdX, some(inputs.rows * inputs.c).map((i) => grads.dx[i]!))).toBeLessThan(1e-5);
      expect(relativeError(finiteDifferences(inputs, 'gamma', some(inputs.c)), some(inputs.c).map((i) => grads.dGamma[i]!))).toBeLessThan(1e-6);
      expect(relativeError(finiteDifferences(inputs, 'beta', some(inputs.c)), some(inputs.c).map((i) => grads.dBeta[i]!))).toBeLessThan(1e-6);

      if (!testCase.offset) {
        const stock = await viaTfjsCpu(inputs);
        expect(relativeError(got.y, stock.y)).toBeLessThan(1e-5);
        expect(relativeError(got.dx, stock.dx)).toBeLessThan(1e-4);
        expect(relativeError(got.dGamma, stock.dGamma)).toBeLessThan(1e-4);
        expect(relativeError(got.dBeta, stock.dBeta)).toBeLessThan(1e-5);
      }
    });
  }

  it('refuses mismatched shapes and a missing epsilon, naming the kernel', () => {
    tf.tidy(() => {
      expect(() => batchNormTrain(tf.zeros([4, 3]) as tf.Tensor2D, tf.ones([2]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D, EPSILON, () => {})).toThrow(/LatentkitBatchNorm: expected x \[rows ≥ 1, channels\]/);
      expect(() => tf.engine().runKernel('LatentkitBatchNorm', { x: tf.zeros([4, 3]), gamma: tf.ones([3]), beta: tf.zeros([3]) }, {})).toThrow(/epsilon/);
    });
  });

  it('FastBatchNormalization with 32 channels: inference is BatchNormalization exactly; training matches it (output, moving statistics, gradients)', () => {
    const before = tf.memory().numTensors;
    const args = { axis: -1, momentum: 0.9 };
    const stock = tfl.layers.batchNormalization(args);
    const fast = new FastBatchNormalization(args);
    const shape = [3, 6, 5, 32];
    for (const layer of [stock, fast]) layer.build([null, ...shape.slice(1)]);
    const weights = [tf.tensor1d(seeded(32, 1).map((v) => 1 + v)), tf.tensor1d(seeded(32, 2)), tf.tensor1d(seeded(32, 3)), tf.tensor1d(seeded(32, 4).map((v) => 1.5 + v))];
    stock.setWeights(weights);
    fast.setWeights(weights);
    tf.dispose(weights);
    const x = tf.tensor(seeded(size(shape), 5).map((v) => 2 + 3 * v), shape);
    const dy = tf.tensor(seeded(size(shape), 6), shape);
    const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    const gradsOf = (layer: tfl.layers.Layer) => {
      const [gamma, beta] = layer.trainableWeights.map((w) => w.read());
      return tf.grads((xs: tf.Tensor, _g: tf.Tensor, _b: tf.Tensor) => tf.sum(tf.mul(layer.apply(xs, { training: true }) as tf.Tensor, dy)))([x, gamma!, beta!]);
    };
    // Inference (the moving statistics) first, before training moves them.
    const [iStock, iFast] = [stock, fast].map((layer) => layer.apply(x) as tf.Tensor);
    expect(diff(iFast!, iStock!)).toBe(0);
    const [yStock, yFast] = [stock, fast].map((layer) => layer.apply(x, { training: true }) as tf.Tensor);
    expect(diff(yFast!, yStock!)).toBeLessThan(1e-5);
    const [wStock, wFast] = [stock.getWeights(), fast.getWeights()];
    wStock.forEach((w, i) => expect(diff(wFast[i]!, w), `weight ${i}`).toBeLessThan(1e-6));
    const [gStock, gFast] = [gradsOf(stock), gradsOf(fast)];
    gStock.forEach((g, i) => expect(diff(gFast[i]!, g), `gradient ${i}`).toBeLessThan(1e-4));
    tf.dispose([x, dy, yStock!, yFast!, ...gStock, ...gFast, iStock!, iFast!]);
    for (const layer of [stock, fast]) for (const w of layer.weights) w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
