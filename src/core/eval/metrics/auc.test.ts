import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { averagePrecision, rocAuc } from './auc.js';

/** P(score of a random anomaly > score of a random normal example) + ½ P(tie), by counting every pair. */
function pairCountAuc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

/** Σ over distinct thresholds t (high to low) of (recall(t) − recall(previous t)) · precision(t), each counted from scratch. */
function bruteAveragePrecision(scores: number[], labels: number[]): number {
  const positives = labels.reduce((s, v) => s + v, 0);
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  let previousRecall = 0;
  let ap = 0;
  for (const t of thresholds) {
    let tp = 0;
    let flagged = 0;
    scores.forEach((s, i) => {
      if (s >= t) {
        flagged++;
        tp += labels[i];
      }
    });
    const recall = tp / positives;
    ap += (recall - previousRecall) * (tp / flagged);
    previousRecall = recall;
  }
  return ap;
}

describe('rocAuc and averagePrecision', () => {
  it('match hand-computed values (the scikit-learn documentation example)', () => {
    const scores = [0.1, 0.4, 0.35, 0.8];
    const labels = [0, 0, 1, 1];
    // pairs: 0.35>0.1, 0.35<0.4, 0.8>0.1, 0.8>0.4 → 3/4
    expect(rocAuc(scores, labels)).toBeCloseTo(0.75, 12);
    // 0.8: recall ½ at precision 1; 0.35: recall 1 at precision ⅔ → ½ + ⅓
    expect(averagePrecision(scores, labels)).toBeCloseTo(5 / 6, 12);
  });

  it('count ties as one half (ROC) and as one threshold (PR)', () => {
    expect(rocAuc([1, 1, 1, 1], [0, 1, 0, 1])).toBeCloseTo(0.5, 12);
    expect(averagePrecision([1, 1, 1, 1], [0, 1, 0, 1])).toBeCloseTo(0.5, 12);
    // pos 0.5 vs neg 0.5 → ½, pos 0.5 vs 0.2 → 1, pos 0.9 vs both → 2: 3.5/4
    const scores = [0.5, 0.5, 0.2, 0.9];
    const labels = [1, 0, 0, 1];
    expect(rocAuc(scores, labels)).toBeCloseTo(0.875, 12);
    // 0.9: recall ½, precision 1; tied 0.5s: recall 1, precision ⅔
    expect(averagePrecision(scores, labels)).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('are 1 for a perfect ranking and reach 0 (ROC) when it is inverted', () => {
    expect(rocAuc([3, 4, 1, 2], [1, 1, 0, 0])).toBe(1);
    expect(averagePrecision([3, 4, 1, 2], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([1, 2, 3, 4], [1, 1, 0, 0])).toBe(0);
    // inverted: recall ½ first at precision ⅓, then 1 at precision ½
    expect(averagePrecision([1, 2, 3, 4], [1, 1, 0, 0])).toBeCloseTo(0.5 / 3 + 0.5 / 2, 12);
  });

  it('agree with brute force on random scores with many ties', () => {
    let state = 12345;
    const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 20; trial++) {
      const n = 30 + trial * 7;
      const labels = Array.from({ length: n }, (_, i) => (i < 3 ? i % 2 : next() < 0.3 ? 1 : 0));
      // Few distinct values, shifted up for anomalies, so ties and overlap both occur.
      const scores = labels.map((l) => Math.round(next() * 6 + l * 2));
      expect(rocAuc(scores, labels)).toBeCloseTo(pairCountAuc(scores, labels), 12);
      expect(averagePrecision(scores, labels)).toBeCloseTo(bruteAveragePrecision(scores, labels), 12);
    }
  });

  it('accept typed arrays', () => {
    expect(rocAuc(Float64Array.from([0.1, 0.4, 0.35, 0.8]), Int32Array.from([0, 0, 1, 1]))).toBeCloseTo(0.75, 12);
  });

  it('refuse one-class labels, NaN scores, non-binary labels and length mismatches', () => {
    expect(() => rocAuc([1, 2], [0, 0])).toThrow(UsageError);
    expect(() => averagePrecision([1, 2], [1, 1])).toThrow(/both anomalies and normal/);
    expect(() => rocAuc([1, NaN], [0, 1])).toThrow(/NaN/);
    expect(() => rocAuc([1, 2], [0, 2])).toThrow(/0 or 1/);
    expect(() => rocAuc([1, 2, 3], [0, 1])).toThrow(/length/);
  });
});
