import { describe, expect, it } from 'vitest';
import { lcg } from './lcg.test-helpers.js';
import { fitBoostedClassifier } from './boosting.js';

/**
 * n rows of d float32 features in [−2, 2) and labels 1, 4, 7, … cutting
 * 1.5·x0 + sin(3·x1) + noise at its k-quantiles (numpy's linear quantiles).
 */
function problem(n: number, d: number, k: number, seed: number): { x: Float32Array; y: number[] } {
  const x = Float32Array.from(lcg(seed, n * d), (u) => u * 4 - 2);
  const noise = lcg(seed + 100, n);
  const score = Array.from({ length: n }, (_, i) => x[i * d]! * 1.5 + Math.sin(3 * x[i * d + 1]!) + 0.8 * noise[i]!);
  const sorted = [...score].sort((a, b) => a - b);
  const quantile = (p: number) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    return sorted[lo]! + (h - lo) * (sorted[lo + 1]! - sorted[lo]!);
  };
  const edges = Array.from({ length: k - 1 }, (_, j) => quantile((j + 1) / k));
  return { x, y: score.map((s) => edges.filter((e) => e < s).length * 3 + 1) };
}

/**
 * scikit-learn 1.2.1's GradientBoostingClassifier(random_state=0) on the
 * first two thirds of each problem: feature_importances_ after 1 and after
 * 100 stages, and predict() on the last third (as (label − 1)/3, one digit a
 * row). Computed with:
 *   GradientBoostingClassifier(random_state=0[, n_estimators=1]).fit(x[:t], y[:t])
 */
const REFERENCE = [
  { n: 240, d: 4, k: 3, seed: 1, stage1: [0.902023181264, 0.0449561072832, 0.0101518461358, 0.0428688653173], importances: [0.770182, 0.120373, 0.04829, 0.061155], predicted: '22000020000210000120101102001210200200001111220120021101111212220010222222220002' },
  { n: 200, d: 3, k: 2, seed: 2, stage1: [0.916042752365, 0.0839572476348, 0.0], importances: [0.811257, 0.158909, 0.029834], predicted: '1010011100100011000011111010001100011010001010101101101100001110001' },
  { n: 300, d: 5, k: 6, seed: 3, stage1: [0.690825953784, 0.189773697611, 4.4256474882e-16, 0.0440028341277, 0.0753975144773], importances: [0.572017, 0.225314, 0.043822, 0.06426, 0.094587], predicted: '3031033120115000542411004224141445131554232211021051155203012414344421533454213353225020124305433104' },
];

describe('fitBoostedClassifier against scikit-learn', () => {
  for (const ref of REFERENCE) {
    const { x, y } = problem(ref.n, ref.d, ref.k, ref.seed);
    const t = Math.floor((2 * ref.n) / 3);
    const train = x.subarray(0, t * ref.d);

    it(`${ref.k} classes: one stage grows the same trees (importances to 1e-9)`, () => {
      const one = fitBoostedClassifier(train, t, ref.d, y.slice(0, t), { stages: 1 });
      ref.stage1.forEach((v, j) => expect(Math.abs(one.importances[j]! - v)).toBeLessThan(1e-9));
    });

    it(`${ref.k} classes: 100 stages predict every held-out row alike, importances within 0.02`, () => {
      const model = fitBoostedClassifier(train, t, ref.d, y.slice(0, t));
      expect(Array.from(model.classes)).toEqual(Array.from({ length: ref.k }, (_, c) => 3 * c + 1));
      const predicted = Array.from(model.predict(x.subarray(t * ref.d), ref.n - t), (v) => (v - 1) / 3).join('');
      expect(predicted).toBe(ref.predicted);
      // Later stages meet exact ties between features (two features cutting a small node alike);
      // scikit-learn breaks them by a random feature order, this code by feature index.
      ref.importances.forEach((v, j) => expect(Math.abs(model.importances[j]! - v)).toBeLessThan(0.02));
      expect(model.importances.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    });
  }

  it('one class predicts it with no importance; bad shapes are refused', () => {
    const model = fitBoostedClassifier(Float32Array.of(1, 2, 3, 4), 2, 2, [5, 5]);
    expect(Array.from(model.predict(Float32Array.of(0, 0), 1))).toEqual([5]);
    expect(Array.from(model.importances)).toEqual([0, 0]);
    expect(() => fitBoostedClassifier(Float32Array.of(1, 2, 3), 2, 2, [0, 1])).toThrow(RangeError);
    expect(() => fitBoostedClassifier(Float32Array.of(1, 2, 3, 4), 2, 2, [0])).toThrow(/1 labels for 2 rows/);
  });
});
