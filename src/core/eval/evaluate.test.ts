import { describe, expect, it } from 'vitest';
import { generateSprites } from '../data/sprites.js';
import { disentanglementOf } from './evaluate.js';

describe('disentanglementOf', () => {
  const ds = generateSprites({ split: 'test', n: 300, seed: 1 });
  const factors = ds.factors!.values;

  it('scores codes that are the factors themselves near 1, per factor in the factor order', () => {
    const d = disentanglementOf(Float32Array.from(factors), ds, 5)!;
    expect(d.examples).toBe(300);
    expect(d.factors).toEqual(['shape', 'scale', 'rotation', 'x', 'y']);
    // Each factor is copied exactly. MIG is not near 1: the plug-in mutual information of two
    // unrelated 20-bin variables is biased up by about (20 − 1)² / 2n = 0.6 nats at n = 300, against
    // H ≈ ln 20 = 3.0 nats, so the gaps are about 0.8. Nor are D, C and I quite 1: DCI's boosted trees
    // learn up to 20 bins from 200 rows, and their later stages chase what is left on other
    // dimensions (measured D 0.955, C 0.955, I 0.95; the 4-class shape alone: accuracy 1).
    expect(d.mig).toBeGreaterThan(0.7);
    expect(d.mig).toBeLessThan(0.9);
    expect(d.dci.disentanglement).toBeGreaterThan(0.9);
    expect(d.dci.completeness).toBeGreaterThan(0.9);
    expect(d.dci.informativeness).toBeGreaterThan(0.9);
    expect(d.perFactor.accuracy[0]).toBe(1);
    expect(Math.min(...d.perFactor.accuracy)).toBeGreaterThan(0.85);
    expect(d.perFactor.mig).toHaveLength(5);
  });

  it('is absent without factors, below 10 examples or with a one-dimensional code', () => {
    expect(disentanglementOf(Float32Array.from(factors), { ...ds, factors: undefined }, 5)).toBeUndefined();
    const few = generateSprites({ split: 'test', n: 9, seed: 1 });
    expect(disentanglementOf(Float32Array.from(few.factors!.values), few, 5)).toBeUndefined();
    expect(disentanglementOf(new Float32Array(300), ds, 1)).toBeUndefined();
  });
});
