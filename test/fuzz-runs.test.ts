/**
 * Fuzzing of what a run folder holds besides config.json (test/fuzz.test.ts
 * has that): metrics.jsonl, the checkpoint's files and the saved networks,
 * and gzip-compressed IDX. Arbitrary and mutated bytes only ever give the
 * project's own usage error (or, for metrics.jsonl, the intact rows).
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { gzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx, parseIdx } from '../src/core/data/idx.js';
import { UsageError } from '../src/core/errors.js';
import { trainJob } from '../src/core/jobs/train.js';
import { loadCheckpoint } from '../src/core/run/checkpoint.js';
import { readStoredConfig, readStoredMetrics } from '../src/core/run/run.js';
import { MemoryRunStore, textBytes } from '../src/core/run/store.js';
import { setup } from './helpers.js';

/** Resolves to a result or a UsageError; anything else fails the property. */
async function onlyUsageErrors(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
  }
}

/** A valid file with a few bytes changed, cut short, or extended. */
const mutated = (valid: Uint8Array) =>
  fc.oneof(
    fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
      const copy = valid.slice();
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    }),
    fc.nat(valid.length).map((n) => valid.slice(0, n)),
    fc.uint8Array({ maxLength: 64 }).map((tail) => Uint8Array.from([...valid, ...tail])),
  );

let run: MemoryRunStore;

beforeAll(async () => {
  await setup('cpu');
  const result = await trainJob({ model: 'vae', dataset: 'sprites', limit: 64, batchSize: 32, epochs: 1, hidden: [8], latent: 2 }, { pictures: false });
  result.model.dispose();
  run = result.store as MemoryRunStore;
}, 60_000);

describe('run files', () => {
  it('metrics.jsonl: arbitrary bytes give the intact rows, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }).map(textBytes)), async (bytes) => {
        const rows = await readStoredMetrics(new MemoryRunStore('run', [['metrics.jsonl', bytes]]));
        expect(rows.every((row) => typeof row.epoch === 'number')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('every file of the checkpoint, damaged: a usage error (and no tensors left behind by its state and optimizer files)', async () => {
    const config = await readStoredConfig(run);
    const names = [...run.files.keys()].filter((name) => name.startsWith('checkpoint/'));
    expect(names).toEqual(expect.arrayContaining(['checkpoint/state.json', 'checkpoint/optimizer.json', 'checkpoint/optimizer.bin']));
    expect(names.length).toBeGreaterThan(4); // and the networks' model.json and weights
    for (const name of names) {
      // Networks: TensorFlow.js decodes every weight before matching them to the layers, and keeps
      // the decoded tensors when a renamed one matches none; state and optimizer must leave nothing.
      const own = !name.endsWith('model.json') && !name.endsWith('weights.bin');
      const before = tf.memory().numTensors;
      await fc.assert(
        fc.asyncProperty(mutated(run.files.get(name)!), async (bytes) => {
          const damaged = new MemoryRunStore('run', run.files);
          damaged.files.set(name, bytes);
          await onlyUsageErrors(async () => {
            const loaded = await loadCheckpoint(damaged, config);
            loaded.model.dispose();
            for (const w of loaded.optimizerWeights) w.tensor.dispose();
          });
        }),
        { numRuns: 25 },
      );
      if (own) expect(tf.memory().numTensors, name).toBe(before);
    }
  }, 120_000);

  it('IDX compressed with gzip: arbitrary and mutated bytes', () => {
    const gz = gzipSync(encodeIdx('images', [3, 4, 4], Uint8Array.from({ length: 48 }, (_, i) => i)));
    fc.assert(
      fc.property(mutated(gz), (b) => {
        try {
          parseIdx(b, 'train-images-idx3-ubyte.gz');
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});
