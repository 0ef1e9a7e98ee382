// Add of a per-channel vector on wasm (SIMD pattern), bit for bit against the cpu backend, and the adds left to the backend.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { installLatentkitWasmKernels } from './register.js';
import { seeded } from './kernels.test-helpers.js';

async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor): Promise<{ shape: number[]; dtype: string; values: number[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const t = fn();
    return { shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) };
  });
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  expect(installLatentkitWasmKernels().replaced).toContain('Add');
});

describe('Add on wasm', () => {
  // [x shape, b shape, b first]: RGB outputs (3 channels: a 12-value pattern), 32 channels, odd channel counts,
  // sizes not a multiple of the pattern; then adds the backend keeps (same shapes, other broadcasts, small).
  const cases: [number[], number[], boolean][] = [
    [[32, 64, 64, 3], [3], false], [[7, 31, 29, 3], [1, 1, 1, 3], false], [[128, 14, 14, 32], [1, 1, 1, 32], false],
    [[9, 13, 17, 5], [5], true], [[4097, 1], [1], false], [[50, 123], [123], false],
    [[64, 80], [64, 80], false], [[64, 80], [64, 1], false], [[3, 4], [4], false],
  ];
  for (const [xShape, bShape, biasFirst] of cases) {
    it(`[${xShape}] + [${bShape}]${biasFirst ? ' (bias first)' : ''}: the cpu backend's bits`, async () => {
      const [xs, bs] = [seeded(size(xShape), 1), seeded(size(bShape), 2)];
      const run = () => (biasFirst ? tf.add(tf.tensor(bs, bShape), tf.tensor(xs, xShape)) : tf.add(tf.tensor(xs, xShape), tf.tensor(bs, bShape)));
      const [wasm, cpu] = [await on('wasm', run), await on('cpu', run)];
      expect(wasm.shape).toEqual(cpu.shape);
      expect(wasm.values).toEqual(cpu.values);
    });
  }

  it('keeps NaN and ±∞ where they are', async () => {
    const xs = seeded(32 * 33 * 3, 3);
    [xs[0], xs[100], xs[3000]] = [NaN, Infinity, -Infinity];
    const got = await on('wasm', () => tf.add(tf.tensor(xs, [32, 33, 3]), tf.tensor([1, 2, 3])));
    expect([got.values[0], got.values[100], got.values[3000]]).toEqual([NaN, Infinity, -Infinity]);
  });

  it('int32 inputs still go through the backend (and keep its dtype)', async () => {
    const got = await on('wasm', () => tf.add(tf.ones([64, 80, 3], 'int32'), tf.tensor([1, 2, 3], [3], 'int32')));
    expect(got.dtype).toBe('int32');
    expect(got.values.slice(0, 3)).toEqual([2, 3, 4]);
  });

  it('leaves no tensor and no backend data behind', async () => {
    await tf.setBackend('wasm');
    const before = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
    tf.tidy(() => tf.add(tf.ones([32, 64, 64, 3]), tf.ones([3])).dataSync());
    expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual(before);
  });
});
