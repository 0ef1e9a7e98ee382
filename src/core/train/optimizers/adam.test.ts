import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../node/backend/index.js';
import { adamLoop } from '../../backend/kernels/AdamUpdate.js';
import { Rng } from '../../random.js';
import { adam } from './adam.js';

const SHAPES: number[][] = [[7], [13, 5], [3, 4, 6]];

function randomValues(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * (2 * rng.next() - 1));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Variables with the given shapes, and a quadratic loss of them with a distinct minimum. */
function problem(seed: number, prefix: string) {
  const rng = new Rng(seed);
  const vars = SHAPES.map((shape, i) => tf.variable(tf.tensor(randomValues(rng, tf.util.sizeFromShape(shape)), shape), true, `${prefix}_${i}`));
  const targets = SHAPES.map((shape) => tf.tensor(randomValues(rng, tf.util.sizeFromShape(shape), 3), shape));
  const loss = () => tf.addN(vars.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, targets[i])), i + 1)))) as tf.Scalar;
  return { vars, loss, dispose: () => tf.dispose([...vars, ...targets]) };
}

describe.each(['cpu', 'wasm'] as const)('fused Adam on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it('the kernel computes the Adam formula (float64 reference) on random data', () => {
    const rng = new Rng(3);
    const n = 101;
    const [w, g, m] = [randomValues(rng, n), randomValues(rng, n), randomValues(rng, n, 0.1)];
    const v = randomValues(rng, n, 0.01).map(Math.abs);
    const attrs = { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, step: 4 };
    const out = tf.engine().runKernel('LatentkitAdamUpdate', { w: tf.tensor(w), g: tf.tensor(g), m: tf.tensor(m), v: tf.tensor(v) }, attrs as never) as tf.Tensor[];
    for (let i = 0; i < n; i++) {
      const m1 = 0.8 * m[i] + 0.2 * g[i];
      const v1 = 0.99 * v[i] + 0.01 * g[i] * g[i];
      const w1 = w[i] - (0.01 * (m1 / (1 - 0.8 ** 4))) / (Math.sqrt(v1 / (1 - 0.99 ** 4)) + 1e-6);
      expect(out[1].dataSync()[i]).toBeCloseTo(m1, 6);
      expect(out[2].dataSync()[i]).toBeCloseTo(v1, 7);
      expect(out[0].dataSync()[i]).toBeCloseTo(w1, 6);
    }
    tf.dispose(out);
  });

  it('follows tf.train.adam step for step, variables and moments alike', () => {
    const ours = problem(11, `ours_${backend}`);
    const theirs = problem(11, `theirs_${backend}`);
    const a = adam(0.05);
    const b = tf.train.adam(0.05);
    for (let step = 0; step < 25; step++) {
      a.minimize(ours.loss, false, ours.vars);
      b.minimize(theirs.loss, false, theirs.vars);
    }
    ours.vars.forEach((v, i) => expect(maxAbsDiff(v.dataSync(), theirs.vars[i].dataSync())).toBeLessThan(1e-5));
    return Promise.all([a.getWeights(), b.getWeights()]).then(([wa, wb]) => {
      expect(wa.map((w) => w.name.replace('ours', 'x'))).toEqual(wb.map((w) => w.name.replace('theirs', 'x')));
      // Moments grow to ~10³ here: compare relative to their size (float32 rounding).
      wa.forEach((w, i) => {
        const ref = wb[i].tensor.dataSync();
        const scale = 1 + Math.max(...Array.from(ref, Math.abs));
        expect(maxAbsDiff(w.tensor.dataSync(), ref) / scale).toBeLessThan(1e-5);
      });
      a.dispose();
      b.dispose();
      ours.dispose();
      theirs.dispose();
    });
  });

  it('resumes from tf.train.adam weights (checkpoint format) and continues identically', async () => {
    const ours = problem(5, `resume_ours_${backend}`);
    const theirs = problem(5, `resume_theirs_${backend}`);
    const b = tf.train.adam(0.02);
    for (let step = 0; step < 5; step++) b.minimize(theirs.loss, false, theirs.vars);
    ours.vars.forEach((v, i) => v.assign(theirs.vars[i]));
    const saved = await b.getWeights();
    const a = adam(0.02);
    await a.setWeights(saved.map((w) => ({ name: w.name.replace('theirs', 'ours'), tensor: tf.clone(w.tensor) })));
    expect(a.iterations).toBe(5);
    for (let step = 0; step < 5; step++) {
      a.minimize(ours.loss, false, ours.vars);
      b.minimize(theirs.loss, false, theirs.vars);
    }
    ours.vars.forEach((v, i) => expect(maxAbsDiff(v.dataSync(), theirs.vars[i].dataSync())).toBeLessThan(1e-5));
    a.dispose();
    b.dispose();
    ours.dispose();
    theirs.dispose();
  });

  it('with two weighted gradients, the kernel uses γ₀g₀ + γ₁g₁ (float64 reference; lengths not a multiple of 4)', () => {
    const rng = new Rng(8);
    const n = 103;
    const [w, g0, g1, m] = [randomValues(rng, n), randomValues(rng, n), randomValues(rng, n), randomValues(rng, n, 0.1)];
    const v = randomValues(rng, n, 0.01).map(Math.abs);
    const attrs = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 3, gradientWeights: [0.25, 0.75] };
    const out = tf.engine().runKernel('LatentkitAdamUpdate', { w: tf.tensor(w), g: tf.tensor(g0), g2: tf.tensor(g1), m: tf.tensor(m), v: tf.tensor(v) }, attrs as never) as tf.Tensor[];
    const [w1, m1, v1] = out.map((t) => t.dataSync());
    for (let i = 0; i < n; i++) {
      const g = 0.25 * g0[i] + 0.75 * g1[i];
      const mi = 0.9 * m[i] + 0.1 * g;
      const vi = 0.999 * v[i] + 0.001 * g * g;
      expect(m1[i]).toBeCloseTo(mi, 6);
      expect(v1[i]).toBeCloseTo(vi, 7);
      expect(w1[i]).toBeCloseTo(w[i] - (0.01 * (mi / (1 - 0.9 ** 3))) / (Math.sqrt(vi / (1 - 0.999 ** 3)) + 1e-7), 5);
    }
    expect(() => tf.engine().runKernel('LatentkitAdamUpdate', { w: tf.tensor(w), g: tf.tensor(g0), g2: tf.tensor(g1), m: tf.tensor(m), v: tf.tensor(v) }, { ...attrs, gradientWeights: undefined } as never)).toThrow(/gradientWeights/);
    tf.dispose(out);
  });

  it('applyGradientShares (1, 2 and 3 parts) steps like applyGradients of the summed gradient', () => {
    for (const count of [1, 2, 3]) {
      const ours = problem(21, `shares${count}_ours_${backend}`);
      const theirs = problem(21, `shares${count}_theirs_${backend}`);
      const a = adam(0.05);
      const b = adam(0.05);
      const rng = new Rng(count);
      for (let step = 0; step < 4; step++) {
        const weights = Array.from({ length: count }, () => 0.2 + rng.next());
        const parts = ours.vars.map((v) => weights.map((weight) => ({ tensor: tf.tensor(randomValues(rng, v.size), v.shape), weight })));
        a.applyGradientShares(ours.vars.map((v, i) => ({ name: v.name, parts: parts[i] })));
        const summed = theirs.vars.map((v, i) => ({ name: v.name, tensor: tf.addN(parts[i].map((p) => tf.mul(p.tensor, p.weight))) }));
        b.applyGradients(summed);
        tf.dispose([...parts.flat().map((p) => p.tensor), ...summed.map((s) => s.tensor)]);
      }
      ours.vars.forEach((v, i) => expect(maxAbsDiff(v.dataSync(), theirs.vars[i].dataSync())).toBeLessThan(1e-6));
      [a, b].forEach((o) => o.dispose());
      ours.dispose();
      theirs.dispose();
    }
  });

  it('leaks no tensors across steps', () => {
    const p = problem(2, `leak_${backend}`);
    const a = adam(0.01);
    a.minimize(p.loss, false, p.vars);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 5; step++) a.minimize(p.loss, false, p.vars);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
    p.dispose();
  });
});

describe('adamLoop', () => {
  it('moves a weight by about lr against the gradient on the first step (bias-corrected)', () => {
    const out = [new Float32Array(1), new Float32Array(1), new Float32Array(1)];
    adamLoop(Float32Array.of(1), Float32Array.of(0.5), Float32Array.of(0), Float32Array.of(0), out[0], out[1], out[2], { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 0, step: 1 });
    // m̂ = g, v̂ = g², so the step is exactly lr·sign(g).
    expect(out[0][0]).toBeCloseTo(0.9, 6);
  });
});
