import { describe, expect, it } from 'vitest';
import { logMeanExp, logSumExp, StreamingLogSumExp } from './logsumexp.js';

const naive = (values: number[]): number => Math.log(values.reduce((s, v) => s + Math.exp(v), 0));

describe('logSumExp', () => {
  it('equals the naive log(sum(exp)) where that is finite', () => {
    for (const values of [[0], [1, 2, 3], [-3.5, 0.25, 2, 7], [10, 10, 10], [-50, 40]]) {
      expect(logSumExp(values)).toBeCloseTo(naive(values), 12);
    }
  });

  it('stays finite and exact for very negative inputs where the naive form underflows', () => {
    expect(naive([-1000, -1001])).toBe(-Infinity);
    expect(logSumExp([-1000, -1001])).toBeCloseTo(-1000 + Math.log1p(Math.exp(-1)), 10);
  });

  it('does not overflow for very positive inputs', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 10);
  });

  it('handles the edge cases', () => {
    expect(logSumExp([])).toBe(-Infinity);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logSumExp([-Infinity, 0])).toBe(0);
    expect(logSumExp([1, Infinity])).toBe(Infinity);
    expect(logSumExp([1, NaN, 2])).toBeNaN();
  });

  it('accepts typed arrays', () => {
    expect(logSumExp(new Float32Array([0, 0, 0, 0]))).toBeCloseTo(Math.log(4), 12);
  });
});

describe('logMeanExp', () => {
  it('is logSumExp minus log n', () => {
    expect(logMeanExp([-1000, -1000, -1000])).toBeCloseTo(-1000, 10);
    expect(logMeanExp([0, Math.log(3)])).toBeCloseTo(Math.log(2), 12);
    expect(logMeanExp([])).toBeNaN();
  });
});

describe('StreamingLogSumExp', () => {
  const values = [-1203.5, -1200.25, -1210, -1199.75, -1250, -1201, -1198.5, -1202];
  const oneShot = logSumExp(values);

  it('over chunks equals the one-shot result, for every chunk size', () => {
    for (let chunk = 1; chunk <= values.length; chunk++) {
      const acc = new StreamingLogSumExp();
      for (let i = 0; i < values.length; i += chunk) acc.add(values.slice(i, i + chunk));
      expect(acc.value()).toBeCloseTo(oneShot, 10);
      expect(acc.count).toBe(values.length);
      expect(acc.logMean()).toBeCloseTo(oneShot - Math.log(values.length), 10);
    }
  });

  it('rescales correctly when a later chunk raises the maximum', () => {
    const acc = new StreamingLogSumExp().add([-5, -6]).add([3]).add([-2, 2.5]);
    expect(acc.value()).toBeCloseTo(naive([-5, -6, 3, -2, 2.5]), 12);
  });

  it('follows the one-shot edge-case conventions and resets', () => {
    const acc = new StreamingLogSumExp();
    expect(acc.value()).toBe(-Infinity);
    expect(acc.logMean()).toBeNaN();
    acc.add([]).add([-Infinity]);
    expect(acc.value()).toBe(-Infinity);
    acc.add([1]).add([Infinity]).add([2]);
    expect(acc.value()).toBe(Infinity);
    acc.add([NaN]).add([Infinity]);
    expect(acc.value()).toBeNaN();
    acc.reset().add([0, 0]);
    expect(acc.value()).toBeCloseTo(Math.LN2, 12);
    expect(acc.count).toBe(2);
  });
});
