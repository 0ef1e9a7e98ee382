// Fast reads from the wasm backend: the same values as the backend's own readSync, as fresh copies.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { installFastWasmRead, readInto } from './read.js';

let originalRead: (id: tf.DataId, start?: number, end?: number) => tf.BackendValues;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  const backend = tf.findBackend('wasm')!;
  originalRead = (backend as unknown as { readSync: typeof originalRead }).readSync.bind(backend);
  installFastWasmRead(backend);
  installFastWasmRead(backend); // idempotent
});

describe('installFastWasmRead', () => {
  it('float32, int32 and bool tensors read back exactly as before, whole or in part', () => {
    const tensors = [tf.tensor([1.5, -2, NaN, Infinity, 3e-40, 7], [2, 3]), tf.tensor([1, -2, 2147483647, 0], [4], 'int32'), tf.tensor([true, false, true], [3], 'bool')];
    const backend = tf.findBackend('wasm')! as unknown as { readSync: typeof originalRead };
    expect(backend.readSync).not.toBe(originalRead);
    for (const t of tensors) {
      expect(Array.from(t.dataSync() as ArrayLike<number>)).toEqual(Array.from(originalRead(t.dataId) as ArrayLike<number>));
      expect((t.dataSync() as ArrayLike<number>).constructor).toBe((originalRead(t.dataId) as ArrayLike<number>).constructor);
      expect(Array.from(backend.readSync(t.dataId, 1, 3) as ArrayLike<number>)).toEqual(Array.from(originalRead(t.dataId, 1, 3) as ArrayLike<number>));
    }
    expect(tensors[0].arraySync()).toEqual([[1.5, -2, NaN], [Infinity, Math.fround(3e-40), 7]]);
    tf.dispose(tensors);
  });

  it('returns a copy: writing to it leaves the tensor alone', async () => {
    const t = tf.tensor([1, 2, 3]);
    const values = t.dataSync() as Float32Array;
    values[0] = 99;
    expect(Array.from(await t.data())).toEqual([1, 2, 3]);
    t.dispose();
  });

  it('strings still go through the backend\'s own read', () => {
    const t = tf.tensor(['a', 'bc']);
    expect(t.arraySync()).toEqual(['a', 'bc']);
    t.dispose();
  });
});

describe('readInto', () => {
  it('copies a tensor into a shared array at an offset, on wasm and on cpu', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const target = new Float32Array(new SharedArrayBuffer(4 * 6)).fill(-1);
      const t = tf.tensor([1, 2, 3], [3, 1]);
      readInto(t, target, 2);
      expect(Array.from(target)).toEqual([-1, -1, 1, 2, 3, -1]);
      expect(() => readInto(tf.tensor([1], [1], 'int32'), target)).toThrow(/float32/);
      t.dispose();
    }
    await tf.setBackend('wasm');
  });
});
