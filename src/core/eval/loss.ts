/** The model's own loss terms averaged over a dataset. */
import * as tf from '@tensorflow/tfjs-core';
import { forEachBatch } from '../data/batches.js';
import type { Dataset } from '../data/types.js';
import type { Autoencoder } from '../models/types.js';
import { Rng } from '../random.js';
import { reportedScalars } from '../train/engine.js';

export interface LossSummary {
  /** Per-example mean of the objective. */
  loss: number;
  /** Per-example mean of each named term (and of each metric the model reports beside them). */
  terms: Record<string, number>;
}

/**
 * Mean loss and terms over `ds` (stochastic models draw from a fixed seed,
 * so the same weights give the same number). `epoch` sets warm-up schedules.
 */
export function evaluateLoss(model: Autoencoder, ds: Dataset, options: { batchSize?: number; seed?: number; epoch?: number } = {}): LossSummary {
  const rng = new Rng(options.seed ?? 12345);
  const sums: Record<string, number> = {};
  let lossSum = 0;
  forEachBatch(ds, options.batchSize ?? 500, (batch, start, end) => {
    tf.tidy(() => {
      const out = model.forward(batch, { training: false, epoch: options.epoch ?? Number.POSITIVE_INFINITY, rng });
      const reported = reportedScalars(out);
      const names = Object.keys(reported);
      const values = tf.stack([out.loss, ...names.map((n) => reported[n])]).dataSync();
      const b = end - start;
      lossSum += values[0] * b;
      names.forEach((n, i) => (sums[n] = (sums[n] ?? 0) + values[i + 1] * b));
    });
  });
  const terms: Record<string, number> = {};
  for (const [name, sum] of Object.entries(sums)) terms[name] = sum / ds.n;
  return { loss: lossSum / ds.n, terms };
}
