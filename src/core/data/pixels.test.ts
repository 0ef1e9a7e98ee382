import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../test/helpers.js';
import { BatchBuffer, disposeBatch, makeBatch } from './batches.js';
import { binarize, takeFirst } from './load.js';
import { BYTE_VALUES, bytePixels, bytesPerValue, examplePixels, floatPixels, gatherRows, pixelRange, quantizePixels, selectPixels } from './pixels.js';
import { selectClasses } from './select.js';
import type { Dataset } from './types.js';

beforeAll(async () => {
  await setup('wasm');
});

/** n examples of 2×3×1 bytes covering 0..255, and the same values as the Float32Array of byte / 255 the loaders made before. */
function twins(n = 50): { bytes: Dataset; floats: Dataset } {
  const data = Uint8Array.from({ length: n * 6 }, (_, i) => (i * 37 + 11) % 256);
  const old = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) old[i] = data[i]! / 255;
  const base = { name: 'twins', split: 'train' as const, n, shape: [2, 3, 1] as [number, number, number], labels: Int32Array.from({ length: n }, (_, i) => i % 3), numClasses: 3 };
  return { bytes: { ...base, pixels: bytePixels(data) }, floats: { ...base, pixels: floatPixels(old) } };
}

describe('byte storage', () => {
  it('reads byte b as the float32 of b / 255, as a Float32Array assignment stored it', () => {
    const stored = new Float32Array(1);
    for (let b = 0; b < 256; b++) {
      stored[0] = b / 255;
      expect(BYTE_VALUES[b]).toBe(stored[0]);
      expect(Math.abs(BYTE_VALUES[b]! - b / 255)).toBeLessThanOrEqual(2 ** -24);
    }
  });

  it('gives the same float32 rows as float storage of byte / 255, bit for bit, whichever accessor', () => {
    const { bytes, floats } = twins();
    expect(bytesPerValue(bytes)).toBe(1);
    expect(bytesPerValue(floats)).toBe(4);
    expect(pixelRange(bytes)).toEqual(pixelRange(floats));
    expect(pixelRange(bytes, 7, 19)).toEqual(pixelRange(floats, 7, 19));
    expect(examplePixels(bytes, 13)).toEqual(examplePixels(floats, 13));
    expect(Array.from(examplePixels(bytes, 13))).toEqual(Array.from(bytes.pixels.data.subarray(78, 84), (b) => Math.fround(b / 255)));
    const rows = [49, 0, 17, 17, 3];
    expect(gatherRows(bytes, rows)).toEqual(gatherRows(floats, rows));
    // The result is a copy: writing to it leaves the dataset alone.
    pixelRange(bytes).fill(0);
    expect(pixelRange(bytes)).toEqual(pixelRange(floats));
  });

  it('keeps subsets in their storage: limits, classes, splits', () => {
    const { bytes, floats } = twins();
    for (const [a, b] of [
      [takeFirst(bytes, 20), takeFirst(floats, 20)],
      [selectClasses(bytes, [2]), selectClasses(floats, [2])],
    ] as const) {
      expect(a.pixels.kind).toBe('uint8');
      expect(b.pixels.kind).toBe('float32');
      expect(pixelRange(a)).toEqual(pixelRange(b));
    }
    const picked = selectPixels(bytes.pixels, 6, [4, 1]);
    expect(Array.from(picked.data)).toEqual([...bytes.pixels.data.subarray(24, 30), ...bytes.pixels.data.subarray(6, 12)]);
  });

  it('quantizes [0, 1] values to the nearest byte, so bytes → floats → bytes is the identity', () => {
    expect(Array.from(quantizePixels(BYTE_VALUES))).toEqual(Array.from({ length: 256 }, (_, b) => b));
    expect(Array.from(quantizePixels([0, 0.5, 1, -0.2, 1.3, 0.001, 0.998]))).toEqual([0, 128, 255, 0, 255, 0, 254]);
    const out = new Uint8Array(5);
    quantizePixels([1, 1], out, 2);
    expect(Array.from(out)).toEqual([0, 0, 255, 255, 0]);
  });

  it('binarizes bytes exactly as it binarized floats (static threshold and seeded draws), keeping bytes', () => {
    const { bytes, floats } = twins(200);
    for (const mode of ['static', 'dynamic'] as const) {
      const a = binarize(bytes, mode, 5);
      const b = binarize(floats, mode, 5);
      expect(a.pixels.kind).toBe('uint8');
      expect(pixelRange(a)).toEqual(pixelRange(b));
      expect(pixelRange(b).every((v) => v === 0 || v === 1)).toBe(true);
    }
    // 127/255 < 0.5 ≤ 128/255.
    const edge = { ...twins(1).bytes, pixels: bytePixels(Uint8Array.from([127, 128, 0, 255, 1, 254])) };
    expect(Array.from(pixelRange(binarize(edge, 'static')))).toEqual([0, 1, 0, 1, 0, 1]);
  });
});

describe('batches of byte storage', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`are the float32 batches of float storage, in order and gathered (${backend}), without leaking tensors`, async () => {
      await setup(backend);
      const { bytes, floats } = twins();
      const before = tf.memory().numTensors;
      const order = Int32Array.from({ length: 50 }, (_, i) => (i * 7) % 50);
      for (const [o, start, end] of [
        [null, 3, 20],
        [order, 10, 42],
      ] as const) {
        const a = makeBatch(bytes, o, start, end);
        const b = makeBatch(floats, o, start, end);
        expect(a.x.shape).toEqual([end - start, 6]);
        expect(a.x.dataSync()).toEqual(b.x.dataSync());
        expect(a.labels!.dataSync()).toEqual(b.labels!.dataSync());
        disposeBatch(a);
        disposeBatch(b);
      }
      expect(tf.memory().numTensors).toBe(before);
      const buffer = new BatchBuffer(8, 6);
      buffer.fill(bytes, order, 0, 8);
      expect(buffer.x).toEqual(gatherRows(floats, order.subarray(0, 8)));
      await setup('wasm');
    });
  }
});
