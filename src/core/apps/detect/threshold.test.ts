import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { DEFAULT_CONTAMINATION, flagAnomalies, quantileOf, thresholdRule } from './threshold.js';

describe('quantileOf', () => {
  it('interpolates between order statistics like numpy.quantile', () => {
    // numpy.quantile([1, 2, 3, 4], [0, 0.5, 0.9, 1]) = [1, 2.5, 3.7, 4]
    const values = [4, 1, 3, 2];
    expect(quantileOf(values, 0)).toBe(1);
    expect(quantileOf(values, 0.5)).toBeCloseTo(2.5, 12);
    expect(quantileOf(values, 0.9)).toBeCloseTo(3.7, 12);
    expect(quantileOf(values, 1)).toBe(4);
    expect(quantileOf([7], 0.3)).toBe(7);
  });

  it('refuses no values and q outside [0, 1]', () => {
    expect(() => quantileOf([], 0.5)).toThrow(UsageError);
    expect(() => quantileOf([1, 2], 1.5)).toThrow(UsageError);
  });
});

describe('thresholdRule and flagAnomalies', () => {
  it('uses the (1 − contamination) quantile, so about that fraction of the training data is flagged', () => {
    const scores = Array.from({ length: 1000 }, (_, i) => i + 1);
    const rule = thresholdRule({ contamination: 0.05 });
    expect(rule).toEqual({ quantile: 0.95, contamination: 0.05 });
    // position 0.95·999 = 949.05 → threshold 950.05; scores 951..1000 are above it
    const threshold = quantileOf(scores, rule.quantile);
    expect(threshold).toBeCloseTo(950.05, 9);
    expect(flagAnomalies(scores, threshold).reduce((s, f) => s + f, 0)).toBe(50);
  });

  it('defaults to contamination 0.01 and accepts an explicit quantile', () => {
    expect(thresholdRule({})).toEqual({ quantile: 1 - DEFAULT_CONTAMINATION, contamination: DEFAULT_CONTAMINATION });
    expect(thresholdRule({ quantile: 0.9 })).toEqual({ quantile: 0.9, contamination: null });
    expect(thresholdRule({ contamination: 0 })).toEqual({ quantile: 1, contamination: 0 });
  });

  it('flags only scores strictly above the threshold', () => {
    expect(Array.from(flagAnomalies([1, 2, 3], 2))).toEqual([0, 0, 1]);
  });

  it('refuses both flags and values out of range', () => {
    expect(() => thresholdRule({ contamination: 0.1, quantile: 0.9 })).toThrow(/cannot be combined with contamination/);
    expect(() => thresholdRule({ contamination: 1.5 })).toThrow(/contamination must be in \[0, 1\)/);
    expect(() => thresholdRule({ contamination: -0.1 })).toThrow(UsageError);
    expect(() => thresholdRule({ quantile: 0 })).toThrow(/quantile/);
    expect(() => thresholdRule({ contamination: NaN })).toThrow(UsageError);
  });
});
