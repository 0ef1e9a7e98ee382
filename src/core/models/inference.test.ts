// Batched encode and decode against one whole-dataset call, across batch boundaries, on wasm and cpu.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../node/backend/index.js';
import type { Dataset } from '../data/types.js';
import { Rng } from '../random.js';
import { decodeCodes, encodeCodes } from './inference.js';
import { getModelDefinition } from './registry.js';
import { floatPixels, pixelRange } from '../data/pixels.js';

describe.each(['wasm', 'cpu'] as const)('encodeCodes and decodeCodes on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it('equal one encode and one decode of everything, with a last batch that is not full, and leak nothing', () => {
    const def = getModelDefinition('vae');
    const model = def.create(def.resolveConfig({ hidden: [16], latent: 3 }, { shape: [4, 4, 1], numClasses: 2 }), new Rng(1));
    const n = 23;
    const rng = new Rng(2);
    const ds: Dataset = { name: 'test', split: 'test', n, shape: [4, 4, 1], pixels: floatPixels(Float32Array.from({ length: n * 16 }, () => rng.next())), labels: new Int32Array(n), numClasses: 2 };
    const before = tf.memory().numTensors;
    const codes = encodeCodes(model, ds, 5);
    const decoded = decodeCodes(model, codes, n, undefined, 7);
    expect(tf.memory().numTensors).toBe(before);
    const [wantCodes, wantDecoded] = tf.tidy(() => {
      const z = model.encode({ x: tf.tensor2d(pixelRange(ds), [n, 16]) });
      return [z.dataSync(), model.decode(tf.tensor2d(codes, [n, 3])).dataSync()];
    });
    expect(Array.from(codes)).toEqual(Array.from(wantCodes));
    expect(Array.from(decoded)).toEqual(Array.from(wantDecoded));
    model.dispose();
  });
});
