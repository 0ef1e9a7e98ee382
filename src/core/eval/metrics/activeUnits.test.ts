import { describe, expect, it } from 'vitest';
import { activeUnits } from './activeUnits.js';

describe('activeUnits', () => {
  it('counts dimensions whose posterior mean varies across examples by more than the threshold', () => {
    // 4 examples × 3 dims. Dim 0: ±1 (variance 1); dim 1: constant 5 far from 0
    // (variance 0, inactive); dim 2: ±0.05 (variance 0.0025 < 0.01, inactive).
    const means = new Float32Array([
      1, 5, 0.05,
      -1, 5, -0.05,
      1, 5, 0.05,
      -1, 5, -0.05,
    ]);
    const result = activeUnits(means, 4, 3);
    expect(result.count).toBe(1);
    expect(result.active).toEqual([true, false, false]);
    expect(result.variances[0]).toBeCloseTo(1, 12);
    expect(result.variances[1]).toBe(0);
    expect(result.variances[2]).toBeCloseTo(0.0025, 9);
  });

  it('uses the population variance (divide by n) and a strict threshold', () => {
    // Values 0, 0.2 → mean 0.1, population variance 0.01 exactly at the threshold: not active.
    const means = new Float64Array([0, 3, 0.2, 1]);
    const result = activeUnits(means, 2, 2);
    expect(result.variances[0]).toBeCloseTo(0.01, 15);
    expect(result.variances[1]).toBeCloseTo(1, 15);
    expect(activeUnits(means, 2, 2, 0.009).count).toBe(2);
    expect(activeUnits(means, 2, 2, 0.5).active).toEqual([false, true]);
  });

  it('matches a direct computation on random codes with a large offset', () => {
    const [n, dim] = [50, 4];
    const means = Float64Array.from({ length: n * dim }, (_, i) => 1000 + Math.sin(i * 1.7) * (i % dim) * 0.1);
    const result = activeUnits(means, n, dim);
    for (let u = 0; u < dim; u++) {
      const column = Array.from({ length: n }, (_, i) => means[i * dim + u]!);
      const mean = column.reduce((s, v) => s + v, 0) / n;
      const variance = column.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
      expect(result.variances[u]).toBeCloseTo(variance, 9);
      expect(result.active[u]).toBe(variance > 0.01);
    }
  });

  it('rejects inconsistent shapes', () => {
    expect(() => activeUnits(new Float32Array(5), 2, 3)).toThrow(RangeError);
  });
});
