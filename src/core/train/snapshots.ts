/** PNG pictures of a model's outputs: generated grids and reconstructions beside originals. */
import * as tf from '@tensorflow/tfjs-core';
import { makeBatch, disposeBatch } from '../data/batches.js';
import type { Dataset } from '../data/types.js';
import type { Autoencoder } from '../models/types.js';
import { encodeImageGrid } from '../viz/grid.js';

/** Labels 0, 1, ..., numClasses-1, 0, 1, ... for conditional sampling. */
function cyclicLabels(n: number, numClasses: number): tf.Tensor1D {
  return tf.tensor1d(Array.from({ length: n }, (_, i) => i % Math.max(1, numClasses)), 'int32');
}

/** Decode n codes z ~ N(0, I) drawn from `seed` (the same z for the same seed). */
export function generateImages(model: Autoencoder, n: number, seed: number, labels?: number[]): Float32Array {
  return tf.tidy(() => {
    const z = tf.randomNormal([n, model.config.latent], 0, 1, 'float32', seed) as tf.Tensor2D;
    const y = labels ? tf.tensor1d(labels, 'int32') : model.conditional ? cyclicLabels(n, model.config.numClasses) : undefined;
    return model.decode(z, y).dataSync() as Float32Array;
  });
}

export function renderGenerated(model: Autoencoder, seed: number, n: number, labels?: number[]): Buffer {
  return encodeImageGrid(generateImages(model, n, seed, labels), n, model.config.inputShape, { cols: Math.ceil(Math.sqrt(n)) });
}

/** Reconstructions of the first n examples of ds. */
export function reconstructImages(model: Autoencoder, ds: Dataset, n: number): { originals: Float32Array; recons: Float32Array } {
  const batch = makeBatch(ds, null, 0, Math.min(n, ds.n));
  try {
    const recons = tf.tidy(() => model.decode(model.encode(batch), batch.labels).dataSync() as Float32Array);
    return { originals: batch.x.dataSync() as Float32Array, recons };
  } finally {
    disposeBatch(batch);
  }
}

/** Originals on odd rows, their reconstructions on the rows below, up to 8 per row. */
export function renderReconstructions(model: Autoencoder, ds: Dataset, n: number): Buffer {
  const { originals, recons } = reconstructImages(model, ds, n);
  const count = Math.min(n, ds.n);
  const dim = model.config.inputShape.reduce((a, b) => a * b, 1);
  const cols = Math.min(8, count);
  const rows = Math.ceil(count / cols);
  const tiles = new Float32Array(rows * 2 * cols * dim);
  for (let i = 0; i < count; i++) {
    const r = Math.floor(i / cols);
    const c = i % cols;
    tiles.set(originals.subarray(i * dim, (i + 1) * dim), ((2 * r) * cols + c) * dim);
    tiles.set(recons.subarray(i * dim, (i + 1) * dim), ((2 * r + 1) * cols + c) * dim);
  }
  return encodeImageGrid(tiles, rows * 2 * cols, model.config.inputShape, { cols });
}
