import { describe, expect, it } from 'vitest';
import { lcg } from './lcg.test-helpers.js';
import { fitLinearSvc } from './linear-svc.js';

/** One feature z in [−2, 2) and labels 0, 2, 4, … from k noisy bands of z (unbalanced by the noise). */
function problem(n: number, k: number, seed: number): { z: Float64Array; y: number[] } {
  const z = Float64Array.from(lcg(seed, n), (u) => u * 4 - 2);
  const noise = lcg(seed + 50, n);
  return { z, y: Array.from(z, (v, i) => 2 * Math.floor(Math.min(Math.max(((v + 2) / 4) * k + (noise[i]! - 0.5) * 1.2, 0), k - 0.001))) };
}

/**
 * scikit-learn 1.2.1's LinearSVC(C=0.01, class_weight="balanced") on the first
 * two thirds: coef_ and intercept_ per one-vs-rest problem (one with two
 * classes), and predict() on the rest as label/2, one digit a row.
 */
const REFERENCE = [
  { n: 120, k: 2, seed: 5, coef: [0.41817364056020806], intercept: [0.008839587167892187], predicted: '1101101001001111001000100110001010000101' },
  {
    n: 150, k: 3, seed: 6,
    coef: [-0.45052136033542667, -0.008599844684529446, 0.487338050510577],
    intercept: [-0.18356920054017126, -0.23918322899029346, -0.23686502261218573],
    predicted: '22022020000020002222022202222222000200022022222200',
  },
  {
    n: 200, k: 4, seed: 7,
    coef: [-0.4505101737214325, -0.17438729641293021, 0.07535760142328134, 0.4746822944277434],
    intercept: [-0.35591632650081906, -0.34908906992835637, -0.39526468215384786, -0.34575886958954877],
    predicted: '3000003000303303030003300303030300030033333003300303303030030030003',
  },
];

describe('fitLinearSvc against scikit-learn', () => {
  for (const ref of REFERENCE) {
    it(`${ref.k} classes: the same coefficients (to liblinear's tolerance) and predictions`, () => {
      const { z, y } = problem(ref.n, ref.k, ref.seed);
      const t = Math.floor((2 * ref.n) / 3);
      const model = fitLinearSvc(z.subarray(0, t), t, 1, y.slice(0, t), { C: 0.01, balanced: true });
      expect(model.coefficients).toHaveLength(ref.coef.length);
      model.coefficients.forEach((theta, p) => {
        // liblinear stops its dual coordinate descent at a tolerance; this solves the primal to 1e-12.
        expect(Math.abs(theta[0]! - ref.coef[p]!)).toBeLessThan(2e-5);
        expect(Math.abs(theta[1]! - ref.intercept[p]!)).toBeLessThan(2e-5);
      });
      expect(Array.from(model.predict(z.subarray(t), ref.n - t), (v) => v / 2).join('')).toBe(ref.predicted);
    });
  }

  it('stationarity: the gradient of the primal vanishes at the fit (two features, unweighted)', () => {
    const [n, d] = [60, 2];
    const x = Float64Array.from(lcg(11, n * d), (u) => u * 2 - 1);
    const labels = Array.from({ length: n }, (_, i) => (x[i * d]! + 0.5 * x[i * d + 1]! > 0.1 ? 1 : 0));
    const { coefficients } = fitLinearSvc(x, n, d, labels, { C: 0.7 });
    const theta = coefficients[0]!;
    const gradient = Array.from(theta);
    for (let i = 0; i < n; i++) {
      const yi = labels[i] === 1 ? 1 : -1;
      const margin = 1 - yi * (theta[0]! * x[i * d]! + theta[1]! * x[i * d + 1]! + theta[2]!);
      if (margin <= 0) continue;
      [x[i * d]!, x[i * d + 1]!, 1].forEach((v, a) => (gradient[a]! -= 2 * 0.7 * yi * margin * v));
    }
    gradient.forEach((g) => expect(Math.abs(g)).toBeLessThan(1e-9));
  });

  it('one class predicts it; bad input is refused', () => {
    expect(Array.from(fitLinearSvc(Float64Array.of(1, 2), 2, 1, [3, 3]).predict(Float64Array.of(0), 1))).toEqual([3]);
    expect(() => fitLinearSvc(Float64Array.of(1, 2), 2, 1, [0, 1], { C: 0 })).toThrow(/C must be positive/);
    expect(() => fitLinearSvc(Float64Array.of(1, 2, 3), 2, 1, [0, 1])).toThrow(RangeError);
  });
});
