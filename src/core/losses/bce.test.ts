import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../node/backend/index.js';
import { Rng } from '../random.js';
import { bceWithLogits } from './index.js';
import { BCE_WITH_LOGITS, bceKernelConfigs, hasBceKernel } from '../backend/kernels/BceWithLogits.js';

function random(rng: Rng, shape: number[], scale: number, offset = 0): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => offset + scale * (2 * rng.next() - 1)), shape);
}

/** The same loss, differentiated by TensorFlow.js itself (no custom gradient). */
function autodiffBce(l: tf.Tensor, x: tf.Tensor): tf.Tensor1D {
  const perFeature = tf.add(tf.sub(tf.relu(l), tf.mul(l, x)), tf.log1p(tf.exp(tf.neg(tf.abs(l)))));
  return tf.sum(tf.reshape(perFeature, [l.shape[0], -1]), 1) as tf.Tensor1D;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe.each(['cpu', 'wasm'] as const)('bceWithLogits custom gradient on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it.each([[[3, 5]], [[4, 2, 3]], [[1, 7]], [[16, 50]]])('value and both gradients match autodiff on shape %j', (shape) => {
    const rng = new Rng(shape.length * 100 + shape[0]);
    const l = random(rng, shape, 6); // logits in (−6, 6)
    const x = random(rng, shape, 0.5, 0.5); // targets in (0, 1)
    const w = random(rng, [shape[0]], 1); // a weight per example, so dy is not all ones
    const loss = (f: typeof bceWithLogits) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), w));
    const [gl, gx] = tf.grads(loss(bceWithLogits))([l, x]);
    const [rl, rx] = tf.grads(loss(autodiffBce))([l, x]);
    // Sums over up to 50 features reach ~10²: compare relative to their size (float32 rounding).
    const ref = autodiffBce(l, x);
    expect(maxAbsDiff(bceWithLogits(l, x), ref) / (1 + tf.max(tf.abs(ref)).dataSync()[0])).toBeLessThan(1e-6);
    expect(maxAbsDiff(gl, rl)).toBeLessThan(1e-5);
    expect(maxAbsDiff(gx, rx)).toBeLessThan(1e-5);
    tf.dispose([l, x, w, gl, gx, rl, rx, ref]);
  });

  it('gradient matches central finite differences, including saturated logits', () => {
    const logits = [-30, -2, -0.1, 0, 0.3, 4, 25];
    const targets = [0.2, 1, 0, 0.5, 0.7, 0, 1];
    const x = tf.tensor2d([targets]);
    const f = (v: number[]) => bceWithLogits(tf.tensor2d([v]), x).dataSync()[0];
    const g = tf.grad((l: tf.Tensor) => tf.sum(bceWithLogits(l, x)))(tf.tensor2d([logits])).dataSync();
    const h = 1e-2;
    logits.forEach((_, i) => {
      const bump = (d: number) => logits.map((v, j) => (j === i ? v + d : v));
      expect(g[i]).toBeCloseTo((f(bump(h)) - f(bump(-h))) / (2 * h), 3);
      // Closed form: σ(l) − x.
      expect(g[i]).toBeCloseTo(1 / (1 + Math.exp(-logits[i])) - targets[i], 5);
    });
    x.dispose();
  });

  it('broadcast targets take the autodiff path and still give the right gradient', () => {
    const rng = new Rng(9);
    const l = random(rng, [4, 6], 3);
    const x = random(rng, [1, 6], 0.5, 0.5);
    const g = tf.grad((a: tf.Tensor) => tf.sum(bceWithLogits(a, x)))(l);
    const r = tf.grad((a: tf.Tensor) => tf.sum(autodiffBce(a, tf.broadcastTo(x, [4, 6]))))(l);
    expect(maxAbsDiff(g, r)).toBeLessThan(1e-6);
    tf.dispose([l, x, g, r]);
  });

  it('leaks no tensors through a gradient step', () => {
    const l = tf.variable(tf.randomNormal([8, 10]));
    const x = tf.randomUniform([8, 10]);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(bceWithLogits(l, x)) as tf.Scalar, [l]);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([l, x]);
  });
});

describe.each(['cpu', 'wasm'] as const)('the fused BCE kernels on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it('are what bceWithLogits runs', () => {
    expect(hasBceKernel()).toBe(true);
  });

  it('per-row values and gradients match float64 over logits from −100 to 100 (SIMD exp and log1p included)', () => {
    const [rows, cols] = [8, 784];
    const l = Float32Array.from({ length: rows * cols }, (_, i) => Math.fround(-100 + (200 * i) / (rows * cols - 1)));
    const x = Float32Array.from({ length: rows * cols }, (_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : Math.fround((i % 101) / 100)));
    const dy = Float32Array.from({ length: rows }, (_, r) => r - 3.5);
    const lt = tf.tensor2d(l, [rows, cols]);
    const xt = tf.tensor2d(x, [rows, cols]);
    const dyt = tf.tensor1d(dy);
    const value = bceWithLogits(lt, xt).dataSync();
    const grad = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(bceWithLogits(a, xt), dyt)))(lt);
    const g = grad.dataSync();
    for (let r = 0; r < rows; r++) {
      let want = 0;
      for (let c = r * cols; c < (r + 1) * cols; c++) {
        want += Math.max(l[c], 0) - l[c] * x[c] + Math.log1p(Math.exp(-Math.abs(l[c])));
        const sigma = 1 / (1 + Math.exp(-l[c]));
        expect(Math.abs(g[c] - (sigma - x[c]) * dy[r])).toBeLessThan(2e-7 * Math.abs(dy[r]) + 1e-30);
      }
      expect(Math.abs(value[r] - want) / want).toBeLessThan(2e-6);
    }
    tf.dispose([lt, xt, dyt, grad]);
  });

  it('each term is within a few float32 roundings of float64 where log1p(e^−|l|) is largest (|l| < 2)', () => {
    // Rows of four equal logits and zero targets: the row is 4·(max(l, 0) + log1p(e^−|l|)).
    const values = Array.from({ length: 401 }, (_, i) => Math.fround(-2 + i / 100));
    const got = bceWithLogits(tf.tensor2d(values.flatMap((v) => [v, v, v, v]), [values.length, 4]), tf.zeros([values.length, 4])).dataSync();
    let worst = 0;
    values.forEach((v, i) => {
      const want = 4 * (Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
      worst = Math.max(worst, Math.abs(got[i] - want) / want);
    });
    expect(worst).toBeLessThan(2.5e-7);
  });

  it('targetRepeat S scores S rows of logits against each target row: values and both gradients as with repeated targets', () => {
    const rng = new Rng(17);
    for (const [b, repeat, d] of [[3, 4, 10], [2, 5, 784], [1, 3, 7]]) {
      const l = random(rng, [b * repeat, d], 8);
      const x = random(rng, [b, d], 0.5, 0.5);
      const w = random(rng, [b * repeat], 1);
      const tiled = (t: tf.Tensor) => tf.reshape(tf.tile(t, [1, repeat]), [b * repeat, d]);
      const fused = (a: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(bceWithLogits(a, t, { targetRepeat: repeat }), w));
      const explicit = (a: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(autodiffBce(a, tiled(t)), w));
      const [gl, gx] = tf.grads(fused)([l, x]);
      const [rl, rx] = tf.grads(explicit)([l, x]);
      const ref = autodiffBce(l, tiled(x));
      expect(maxAbsDiff(bceWithLogits(l, x, { targetRepeat: repeat }), ref) / (1 + tf.max(tf.abs(ref)).dataSync()[0])).toBeLessThan(1e-6);
      expect(maxAbsDiff(gl, rl)).toBeLessThan(1e-5);
      expect(maxAbsDiff(gx, rx)).toBeLessThan(1e-4);
      tf.dispose([l, x, w, gl, gx, rl, rx, ref]);
    }
    expect(() => bceWithLogits(tf.zeros([5, 3]), tf.zeros([2, 3]), { targetRepeat: 2 })).toThrow(/targetRepeat 2/);
  });

  it('log1p(e^−|l|) stays accurate where it is tiny, and NaN logits give NaN', () => {
    // Rows of one logit each: the sum is the term itself, log1p(e^−|l|) ≈ e^−|l| for large |l|.
    const logits = [-80, -40, -17, 17, 40, 80, Number.NaN];
    const got = bceWithLogits(tf.tensor2d(logits, [logits.length, 1]), tf.zeros([logits.length, 1])).dataSync();
    logits.slice(0, -1).forEach((v, i) => {
      const want = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      expect(Math.abs(got[i] - want) / want).toBeLessThan(1e-6);
    });
    expect(got[logits.length - 1]).toBeNaN();
    // The same through the SIMD path (4 columns per row) for the small terms alone.
    const simd = bceWithLogits(tf.tensor2d([-80, -40, -30, -17], [1, 4]), tf.zeros([1, 4])).dataSync()[0];
    const small = [-80, -40, -30, -17].reduce((s, v) => s + Math.log1p(Math.exp(v)), 0);
    expect(Math.abs(simd - small) / small).toBeLessThan(1e-6);
  });
});

describe('bceWithLogits without the fused kernels (a backend such as tfjs-node)', () => {
  it('takes the composite path with its closed-form gradient, and repeated targets are tiled', async () => {
    await initBackend('cpu');
    const config = bceKernelConfigs.find((c) => c.kernelName === BCE_WITH_LOGITS && c.backendName === 'cpu')!;
    tf.unregisterKernel(BCE_WITH_LOGITS, 'cpu');
    try {
      expect(hasBceKernel()).toBe(false);
      const rng = new Rng(23);
      const l = random(rng, [6, 9], 6);
      const x = random(rng, [6, 9], 0.5, 0.5);
      const w = random(rng, [6], 1);
      const loss = (f: typeof bceWithLogits) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), w));
      const [gl, gx] = tf.grads(loss(bceWithLogits))([l, x]);
      const [rl, rx] = tf.grads(loss(autodiffBce))([l, x]);
      expect(maxAbsDiff(bceWithLogits(l, x), autodiffBce(l, x))).toBeLessThan(1e-5);
      expect(maxAbsDiff(gl, rl)).toBeLessThan(1e-5);
      expect(maxAbsDiff(gx, rx)).toBeLessThan(1e-5);
      const x2 = random(rng, [2, 9], 0.5, 0.5);
      const tiled = tf.reshape(tf.tile(x2, [1, 3]), [6, 9]);
      expect(maxAbsDiff(bceWithLogits(l, x2, { targetRepeat: 3 }), autodiffBce(l, tiled))).toBeLessThan(1e-5);
      tf.dispose([l, x, w, gl, gx, rl, rx, x2, tiled]);
    } finally {
      tf.registerKernel(config);
    }
    expect(hasBceKernel()).toBe(true);
  });
});
