import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { fitPca } from './pca.js';

function random(length: number, seed: number): Float64Array {
  let state = seed >>> 0;
  return Float64Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296 - 0.5;
  });
}

/** Population covariance by its definition, for checking the fast kernels. */
function naiveCovariance(x: ArrayLike<number>, n: number, dim: number): number[][] {
  const mean = Array.from({ length: dim }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * dim + j]!;
    return s / n;
  });
  return mean.map((_, r) =>
    mean.map((__, c) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (x[i * dim + r]! - mean[r]!) * (x[i * dim + c]! - mean[c]!);
      return s / n;
    }),
  );
}

/** Mean over rows of ‖x − x̂‖². */
function meanSquaredError(x: ArrayLike<number>, y: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - y[i]!) ** 2;
  return s / n;
}

describe('fitPca', () => {
  it('finds the direction of points on the line y = x, by hand', () => {
    // Points (−1,−1), (0,0), (1,1), (2,2): mean (0.5, 0.5); along (1,1)/√2 the
    // coordinates are √2·(−1.5, −0.5, 0.5, 1.5), variance 2·(2.25+0.25+0.25+2.25)/4 = 2.5.
    const x = new Float32Array([-1, -1, 0, 0, 1, 1, 2, 2]);
    const pca = fitPca(x, 4, 2, 2);
    expect(Array.from(pca.mean)).toEqual([0.5, 0.5]);
    expect(pca.components[0]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(pca.components[1]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(pca.explainedVariance[0]).toBeCloseTo(2.5, 12);
    expect(pca.explainedVariance[1]).toBeCloseTo(0, 12);
    expect(pca.totalVariance).toBeCloseTo(2.5, 12);
    expect(pca.explainedVarianceRatio[0]).toBeCloseTo(1, 12);
    const codes = pca.project(x, 4);
    const expected = [-1.5, -0.5, 0.5, 1.5].map((t) => t * Math.SQRT2);
    for (let i = 0; i < 4; i++) expect(codes[i * 2]).toBeCloseTo(expected[i]!, 12);
  });

  it('returns orthonormal components, sorted, with the largest-magnitude entry positive', () => {
    const [n, dim] = [200, 6];
    const x = random(n * dim, 1).map((v, i) => v * (1 + (i % dim)));
    const pca = fitPca(x, n, dim, dim);
    for (let a = 0; a < dim; a++) {
      const row = pca.components.subarray(a * dim, (a + 1) * dim);
      const largest = row.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0);
      expect(largest).toBeGreaterThan(0);
      for (let b = 0; b < dim; b++) {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += row[j]! * pca.components[b * dim + j]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 10);
      }
      if (a > 0) expect(pca.explainedVariance[a]!).toBeLessThanOrEqual(pca.explainedVariance[a - 1]!);
    }
  });

  // n and dim that are not multiples of the kernels' block sizes (256 rows, 4 columns).
  for (const [kind, zeroFraction] of [['dense', 0], ['sparse', 0.85]] as const) {
    it(`solves the eigen-equation of the definitional covariance (${kind} kernel)`, () => {
      const [n, dim] = [301, 7];
      const mask = random(n * dim, 4);
      const x = random(n * dim, 2).map((v, i) => (mask[i]! + 0.5 < zeroFraction ? 0 : 3 + v * (1 + (i % dim))));
      const cov = naiveCovariance(x, n, dim);
      const pca = fitPca(x, n, dim, 3);
      let trace = 0;
      for (let j = 0; j < dim; j++) trace += cov[j]![j]!;
      expect(pca.totalVariance).toBeCloseTo(trace, 10);
      for (let c = 0; c < 3; c++) {
        const v = pca.components.subarray(c * dim, (c + 1) * dim);
        for (let r = 0; r < dim; r++) {
          const cv = cov[r]!.reduce((s, value, j) => s + value * v[j]!, 0);
          expect(cv).toBeCloseTo(pca.explainedVariance[c]! * v[r]!, 10);
        }
      }
    });
  }

  it('reconstructs exactly with k = dim; with k < dim the error is the sum of the discarded eigenvalues', () => {
    const [n, dim] = [120, 5];
    const x = random(n * dim, 3).map((v, i) => v * (i % dim) + (i % 3));
    const full = fitPca(x, n, dim, dim);
    expect(meanSquaredError(x, full.reconstruct(full.project(x, n), n), n)).toBeLessThan(1e-24);
    for (let k = 1; k < dim; k++) {
      const pca = fitPca(x, n, dim, k);
      const discarded = full.explainedVariance.slice(k).reduce((s, v) => s + v, 0);
      expect(meanSquaredError(x, pca.reconstruct(pca.project(x, n), n), n)).toBeCloseTo(discarded, 10);
    }
  });

  it('rejects invalid k and shapes', () => {
    const x = new Float32Array(12);
    expect(() => fitPca(x, 4, 3, 0)).toThrow(RangeError);
    expect(() => fitPca(x, 4, 3, 4)).toThrow(RangeError);
    expect(() => fitPca(x, 5, 3, 1)).toThrow(RangeError);
    expect(() => fitPca(x, 4, 3, 2).project(new Float32Array(5), 2)).toThrow(RangeError);
  });

  it('with fewer rows than dimensions (the Gram route) gives the covariance eigenpairs computed directly', () => {
    const n = 12;
    const dim = 40;
    const x = random(n * dim, 11);
    const pca = fitPca(x, n, dim, 3);
    const evd = new EigenvalueDecomposition(new Matrix(naiveCovariance(x, n, dim)), { assumeSymmetric: true });
    const order = evd.realEigenvalues.map((_, i) => i).sort((p, q) => evd.realEigenvalues[q]! - evd.realEigenvalues[p]!);
    for (let c = 0; c < 3; c++) {
      expect(pca.explainedVariance[c]).toBeCloseTo(evd.realEigenvalues[order[c]!]!, 10);
      const direct = Array.from({ length: dim }, (_, j) => evd.eigenvectorMatrix.get(j, order[c]!));
      // Same direction up to sign: |⟨v, v'⟩| = 1.
      const dot = direct.reduce((sum, v, j) => sum + v * pca.components[c * dim + j]!, 0);
      expect(Math.abs(dot)).toBeCloseTo(1, 9);
    }
    // Projections reproduce: k = n − 1 components reconstruct the centred rows exactly (rank n − 1).
    const full = fitPca(x, n, dim, n - 1);
    expect(meanSquaredError(x, full.reconstruct(full.project(x, n), n), n)).toBeLessThan(1e-20);
  });
});
