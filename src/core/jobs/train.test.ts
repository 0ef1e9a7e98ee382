import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from '../../../test/helpers.js';
import { MemoryRunStore } from '../run/store.js';
import { resumeJob, trainJob } from './train.js';

beforeAll(async () => {
  await setup('cpu');
});

describe('trainJob recipeFor', () => {
  it('chooses the epochs from the loaded training split, and the run keeps the choice for a resume', async () => {
    const before = tf.memory().numTensors;
    const asked: [number, number][] = [];
    const recipeFor = (n: number, { batchSize }: { batchSize: number }) => {
      asked.push([n, batchSize]);
      return { epochs: Math.ceil(4 / Math.ceil(n / batchSize)) }; // 64 rows in batches of 32: 2 epochs of 2 steps
    };
    const request = { model: 'ae', dataset: 'sprites', limit: 64, batchSize: 32, epochs: 9, hidden: [16], latent: 2 };
    const result = await trainJob(request, { recipeFor, pictures: false });
    expect(asked).toEqual([[64, 32]]);
    expect(result.epochsCompleted).toBe(2);
    expect(result.config.training.epochs).toBe(2);
    result.model.dispose();

    // The stored run says 2 epochs: a resume with no --epochs has nothing left to do.
    const resumed = await resumeJob(result.store as MemoryRunStore, { pictures: false });
    expect(resumed.epochsCompleted).toBe(2);
    resumed.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});

describe('trainJob with early stopping', () => {
  it('stores --validation and --patience in the run, reports the held-out loss each epoch and ends at the best epoch', async () => {
    const before = tf.memory().numTensors;
    const request = { model: 'ae', dataset: 'sprites', limit: 64, batchSize: 32, epochs: 3, hidden: [16], latent: 2, validation: 0.25, patience: 5 };
    const result = await trainJob(request, { pictures: false });
    expect(result.config.training.validation).toEqual({ fraction: 0.25, patience: 5 });
    const curve = result.metrics.map((m) => m.validation_loss);
    expect(curve).toHaveLength(3);
    expect(result.best!.loss).toBe(Math.min(...curve));
    result.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('refuses --patience without --validation', async () => {
    await expect(trainJob({ model: 'ae', dataset: 'sprites', limit: 64, patience: 3 }, { pictures: false })).rejects.toThrow(/patience.*validation|validation/);
  });
});
