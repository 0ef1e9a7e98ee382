// Identity that shares data on wasm: clones read the same values, outlive their source, free their data
// last, and gradients through recorded (cloned) tensors still match the cpu backend.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers gradient functions
import { installLatentkitWasmKernels } from './register.js';
import { seeded } from './kernels.test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  expect(installLatentkitWasmKernels().replaced).toContain('Identity');
});

describe('Identity on wasm', () => {
  it('a clone has the values, survives its source, and the data goes when the last one does', async () => {
    await tf.setBackend('wasm');
    const dataBefore = tf.engine().backend.numDataIds();
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    expect(tf.engine().backend.numDataIds()).toBe(dataBefore + 1); // shared, not copied
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    expect(y.shape).toEqual([2, 2]);
    y.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
    // int32 and bool too; strings go through the backend's own kernel.
    const i = tf.clone(tf.tensor([5, -6], [2], 'int32'));
    expect(Array.from(i.dataSync())).toEqual([5, -6]);
    expect(tf.clone(tf.tensor(['a'])).arraySync()).toEqual(['a']);
  });

  it('gradients that go through saved (cloned) tensors match the cpu backend', async () => {
    const grads = () =>
      tf.tidy(() => {
        const x = tf.tensor(seeded(6 * 5, 1), [6, 5]);
        const w = tf.variable(tf.tensor(seeded(5 * 4, 2), [5, 4]));
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.sigmoid(tf.matMul(x, w)), tf.exp(tf.matMul(x, w)))) as tf.Scalar, [w]);
        const g = Array.from(grads[w.name].dataSync());
        w.dispose();
        return g;
      });
    await tf.setBackend('wasm');
    const wasm = grads();
    await tf.setBackend('cpu');
    const cpu = grads();
    wasm.forEach((g, i) => expect(g).toBeCloseTo(cpu[i], 4));
  });
});
