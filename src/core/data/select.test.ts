import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { exampleIds } from './examples.js';
import { takeFirst } from './load.js';
import { parseClassList, selectClasses } from './select.js';
import { generateSprites } from './sprites.js';
import type { Dataset } from './types.js';
import { floatPixels, pixelRange } from './pixels.js';

/** 6 examples of 2 pixels; example i has pixels (i, 10 + i) and label i % 3. */
function tiny(): Dataset {
  return {
    name: 'tiny',
    split: 'train',
    n: 6,
    shape: [1, 2, 1],
    pixels: floatPixels(Float32Array.from({ length: 12 }, (_, k) => (k % 2 === 0 ? k / 2 : 10 + (k - 1) / 2))),
    labels: Int32Array.from([0, 1, 2, 0, 1, 2]),
    numClasses: 3,
    table: {
      columns: ['a', 'b'],
      missing: Uint8Array.from([0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]),
      scaler: { kind: 'standard', offset: [0, 0], scale: [1, 1], mean: [0, 0] },
      lines: Int32Array.from([2, 3, 4, 5, 6, 7]),
    },
  };
}

describe('selectClasses', () => {
  it('keeps the examples of the listed classes, in order, with every per-example array', () => {
    const ds = selectClasses(tiny(), [1, 0]);
    expect(ds.n).toBe(4);
    expect(Array.from(ds.labels)).toEqual([0, 1, 0, 1]);
    expect(Array.from(pixelRange(ds))).toEqual([0, 10, 1, 11, 3, 13, 4, 14]);
    expect(Array.from(ds.table!.missing)).toEqual([0, 0, 1, 0, 0, 1, 0, 0]);
    expect(Array.from(ds.table!.lines!)).toEqual([2, 3, 5, 6]);
    expect(ds.numClasses).toBe(3);
  });

  it('carries the files of image-folder examples along, and so does takeFirst (--limit)', () => {
    const files = ['a/0.png', 'b/1.png', 'c/2.png', 'a/3.png', 'b/4.png', 'c/5.png'];
    const ds = { ...tiny(), sources: files };
    expect(selectClasses(ds, [2]).sources).toEqual(['c/2.png', 'c/5.png']);
    expect(takeFirst(ds, 2).sources).toEqual(['a/0.png', 'b/1.png']);
    expect(exampleIds(selectClasses(ds, [0]))).toEqual(['a/0.png', 'a/3.png']);
    expect(exampleIds(selectClasses(tiny(), [0]))).toEqual([2, 5]);
    const { table: _table, ...plain } = tiny();
    expect(exampleIds(plain)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('carries ground-truth factors along', () => {
    const sprites = generateSprites({ split: 'train', n: 50, seed: 1 });
    const kept = selectClasses(sprites, [2]);
    const k = sprites.factors!.names.length;
    const first = Array.from(sprites.labels).indexOf(2);
    expect(kept.labels.every((l) => l === 2)).toBe(true);
    expect(kept.n).toBe(Array.from(sprites.labels).filter((l) => l === 2).length);
    expect(Array.from(kept.factors!.values.slice(0, k))).toEqual(Array.from(sprites.factors!.values.slice(first * k, (first + 1) * k)));
  });

  it('refuses unknown classes and empty results', () => {
    expect(() => selectClasses(tiny(), [3])).toThrow(UsageError);
    expect(() => selectClasses({ ...tiny(), labels: new Int32Array(6) }, [2])).toThrow(/classes 2: tiny \(train\) has no examples/);
  });
});

describe('parseClassList', () => {
  it('reads one or several classes and refuses anything else', () => {
    expect(parseClassList('3')).toEqual([3]);
    expect(parseClassList(' 1, 7 ,1')).toEqual([1, 7]);
    expect(() => parseClassList('a')).toThrow(/comma list of class numbers/);
    expect(() => parseClassList('-1')).toThrow(UsageError);
  });
});
