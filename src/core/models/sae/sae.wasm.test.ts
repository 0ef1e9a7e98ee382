/**
 * The top-k step and the penalties on the wasm backend (the CLI's default), where a float32
 * tf.oneHot once returned denormals instead of ones and zeroed every code.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { setup } from '../../../../test/helpers.js';
import { Rng } from '../../random.js';
import { getModelDefinition } from '../registry.js';
import { klSparsity, l1Sparsity, l2Sparsity } from './sparsity.js';
import { kSparse, topKMask } from './topk.js';

beforeAll(async () => {
  await setup('wasm');
});

it('keeps exactly K units with the same mask, values and gradient as on cpu', () => {
  const code = tf.tensor2d([
    [0.5, -2, 0.1, 3],
    [-4, 0.2, 1, 0.3],
  ]);
  expect(tf.getBackend()).toBe('wasm');
  expect(topKMask(code, 2).arraySync()).toEqual([
    [0, 1, 0, 1],
    [1, 0, 1, 0],
  ]);
  expect(kSparse(code, 2).arraySync()).toEqual([
    [0, -2, 0, 3],
    [-4, 0, 1, 0],
  ]);
  const grad = tf.grad((x: tf.Tensor) => tf.sum(kSparse(x as tf.Tensor2D, 2)))(code);
  expect(Array.from(grad.dataSync(), (v) => v + 0)).toEqual([0, 1, 0, 1, 1, 0, 1, 0]);
});

it('encodes every example to exactly K non-zeros', () => {
  const def = getModelDefinition('sae');
  const model = def.create(def.resolveConfig({ hidden: [16], latent: 8, k: 3 }, { shape: [28, 28, 1], numClasses: 10 }), new Rng(0));
  const x = tf.randomUniform([20, 784], 0, 1, 'float32', 1) as tf.Tensor2D;
  const rows = model.encode({ x }).arraySync();
  expect(rows.map((row) => row.filter((v) => v !== 0).length)).toEqual(rows.map(() => 3));
  model.dispose();
});

it('computes the same penalties as by hand', () => {
  const h = tf.tensor2d([
    [0.3, 0.1],
    [0.1, 0.0],
  ]); // ρ̂ = [0.2, 0.05]
  const kl = (rho: number, rhoHat: number) => rho * Math.log(rho / rhoHat) + (1 - rho) * Math.log((1 - rho) / (1 - rhoHat));
  expect(klSparsity(h, 0.1).dataSync()[0]).toBeCloseTo(kl(0.1, 0.2) + kl(0.1, 0.05), 5);
  expect(l1Sparsity(h).dataSync()[0]).toBeCloseTo(0.25, 6);
  expect(l2Sparsity(h).dataSync()[0]).toBeCloseTo(0.055, 6);
});
