import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';
import type { Rows } from './service.js';

const rowsOf = (values: number[][]): Rows => ({ x: Float32Array.from(values.flat()), n: values.length, missing: new Uint8Array(values.flat().length) });

describe('Batcher', () => {
  // The operation doubles each value and records the row count of every batch it runs.
  const make = (maxBatch: number, maxWaitMs: number) => {
    const runs: number[] = [];
    const batcher = new Batcher(
      (rows) => {
        runs.push(rows.n);
        return Float32Array.from(rows.x, (v) => 2 * v);
      },
      2,
      2,
      { maxBatch, maxWaitMs },
    );
    return { batcher, runs };
  };

  it('gathers requests arriving within the wait into one run and gives each its own rows back', async () => {
    const { batcher, runs } = make(64, 5);
    const answers = await Promise.all([batcher.submit(rowsOf([[1, 2]])), batcher.submit(rowsOf([[3, 4], [5, 6]])), batcher.submit(rowsOf([[7, 8]]))]);
    expect(runs).toEqual([4]);
    expect(answers.map((a) => Array.from(a))).toEqual([[2, 4], [6, 8, 10, 12], [14, 16]]);
  });

  it('runs as soon as maxBatch rows wait, never mixing more than maxBatch from several requests', async () => {
    const { batcher, runs } = make(3, 1000);
    const started = Date.now();
    const answers = await Promise.all([batcher.submit(rowsOf([[1, 1], [1, 1]])), batcher.submit(rowsOf([[2, 2], [2, 2]])), batcher.submit(rowsOf([[3, 3]]))]);
    // 2 + 2 would pass 3: the first runs alone, then 2 + 1 fill a batch without waiting the second.
    expect(runs).toEqual([2, 3]);
    expect(Date.now() - started).toBeLessThan(900);
    expect(answers.map((a) => Array.from(a))).toEqual([[2, 2, 2, 2], [4, 4, 4, 4], [6, 6]]);
  });

  it('a failing run rejects every request of its batch, and the next batch runs normally', async () => {
    let fail = true;
    const batcher = new Batcher(
      (rows) => {
        if (fail) throw new Error('boom');
        return rows.x;
      },
      1,
      1,
      { maxBatch: 8, maxWaitMs: 0 },
    );
    const results = await Promise.allSettled([batcher.submit(rowsOf([[1]])), batcher.submit(rowsOf([[2]]))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(Array.from(await batcher.submit(rowsOf([[5]])))).toEqual([5]);
  });
});
