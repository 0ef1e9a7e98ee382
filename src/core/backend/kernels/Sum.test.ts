// Column sums (Sum over leading axes) on wasm against the cpu backend, and the reductions left to the backend.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { installLatentkitWasmKernels } from './register.js';
import { seeded } from './kernels.test-helpers.js';

async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor): Promise<{ shape: number[]; values: number[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const t = fn();
    return { shape: t.shape, values: Array.from(t.dataSync()) };
  });
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  expect(installLatentkitWasmKernels().replaced).toContain('Sum');
});

describe('Sum on wasm', () => {
  const cases: [number[], number | number[], boolean][] = [
    [[128, 400], 0, false], [[128, 784], 0, true], [[5, 17], 0, false], [[5, 17], -2, true], [[3, 5, 7], [0, 1], false],
    [[3, 5, 7], [1, 0], true], [[3, 5, 7], 0, false], [[1, 3], 0, false], [[0, 5], 0, false], [[4, 0], 0, false],
    // Fewer columns than a SIMD block, many rows (rows side by side): 3 (RGB), 1, 6, 12; rows not a multiple of the group.
    [[7, 64, 63, 3], [0, 1, 2], false], [[50, 1], 0, true], [[101, 6], 0, false], [[2, 9, 11, 12], [0, 1, 2], true],
    // Left to the backend: inner axes, all axes.
    [[6, 9], 1, false], [[6, 9], [0, 1], false], [[3, 5, 7], [0, 2], true],
  ];
  for (const [shape, axis, keepDims] of cases) {
    it(`shape [${shape}], axis ${JSON.stringify(axis)}, keepDims ${keepDims}: same as cpu`, async () => {
      const values = seeded(shape.reduce((a, b) => a * b, 1), shape.length + shape[0]);
      const run = () => tf.sum(tf.tensor(values, shape), axis, keepDims);
      const [wasm, cpu] = [await on('wasm', run), await on('cpu', run)];
      expect(wasm.shape).toEqual(cpu.shape);
      wasm.values.forEach((v, i) => expect(v).toBeCloseTo(cpu.values[i], 4));
    });
  }

  it('keeps NaN and ±∞ in their columns', async () => {
    const x = tf.tensor([[1, NaN, Infinity, 0], [2, 1, 1, -Infinity]]);
    expect(Array.from((await on('wasm', () => tf.sum(x, 0))).values)).toEqual([3, NaN, Infinity, -Infinity]);
  });

  it('int32 and bool inputs still go through the backend (and keep its output dtype)', async () => {
    await tf.setBackend('wasm');
    expect(tf.sum(tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), 0).dtype).toBe('int32');
    expect(Array.from(tf.sum(tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), 0).dataSync())).toEqual([4, 6]);
  });
});
