import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/index.js';
import { Rng } from '../random.js';
import { bceWithLogits } from './index.js';

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
