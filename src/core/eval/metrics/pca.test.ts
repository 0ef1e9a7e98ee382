import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { fitPca, RESIDUAL_TOLERANCE } from './pca.js';

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

  /** Eigenvalues (descending) and eigenvectors of the definitional covariance by ml-matrix, the reference. */
  function exactEigen(x: ArrayLike<number>, n: number, dim: number): { values: number[]; vector: (c: number) => number[]; cov: number[][] } {
    const cov = naiveCovariance(x, n, dim);
    const evd = new EigenvalueDecomposition(new Matrix(cov), { assumeSymmetric: true });
    const order = evd.realEigenvalues.map((_, i) => i).sort((p, q) => evd.realEigenvalues[q]! - evd.realEigenvalues[p]!);
    return { values: order.map((i) => evd.realEigenvalues[i]!), vector: (c) => Array.from({ length: dim }, (_, j) => evd.eigenvectorMatrix.get(j, order[c]!)), cov };
  }

  it('subspace iteration meets its guarantee: residual ≤ 1e-6·λ₁, eigenvalues and directions of the exact decomposition', () => {
    // Columns of decaying scale give a spread spectrum with gaps; a shift away from 0 tests the folded-in centring.
    const [n, dim, k] = [400, 60, 4];
    const x = random(n * dim, 21).map((v, i) => 5 + v * 3 * 0.8 ** (i % dim) + 0.3 * v ** 2);
    const exact = exactEigen(x, n, dim);
    const pca = fitPca(x, n, dim, k, { solver: 'subspace' });
    const lambda1 = exact.values[0]!;
    for (let c = 0; c < k; c++) {
      const v = Array.from(pca.components.subarray(c * dim, (c + 1) * dim));
      const theta = pca.explainedVariance[c]!;
      const residual = Math.sqrt(exact.cov.reduce((s, row, r) => s + (row.reduce((t, value, j) => t + value * v[j]!, 0) - theta * v[r]!) ** 2, 0));
      expect(residual).toBeLessThanOrEqual(RESIDUAL_TOLERANCE * lambda1);
      expect(Math.abs(theta - exact.values[c]!)).toBeLessThanOrEqual(RESIDUAL_TOLERANCE * lambda1);
      // Davis–Kahan: sin∠ ≤ residual / gap.
      const gap = Math.min(exact.values[c]! - exact.values[c + 1]!, c > 0 ? exact.values[c - 1]! - exact.values[c]! : Infinity);
      const cos = Math.abs(exact.vector(c).reduce((s, e, j) => s + e * v[j]!, 0));
      expect(Math.sqrt(Math.max(0, 1 - cos * cos))).toBeLessThanOrEqual((RESIDUAL_TOLERANCE * lambda1) / gap + 1e-7);
    }
    const byCovariance = fitPca(x, n, dim, k, { solver: 'covariance' });
    const codes = [pca.project(x, n), byCovariance.project(x, n)];
    expect(meanSquaredError(codes[0]!, codes[1]!, n)).toBeLessThan(1e-8 * byCovariance.totalVariance);
  });

  it('subspace iteration on rank-deficient data (rank 5, a block of 11 directions) still finds the top eigenpairs', () => {
    const [n, dim, rank, k] = [50, 80, 5, 3];
    const a = random(n * rank, 31);
    const b = random(rank * dim, 32).map((v, i) => v * (Math.floor(i / dim) + 1));
    const x = Float64Array.from({ length: n * dim }, (_, p) => {
      const [i, j] = [Math.floor(p / dim), p % dim];
      let s = 0;
      for (let r = 0; r < rank; r++) s += a[i * rank + r]! * b[r * dim + j]!;
      return s;
    });
    const exact = exactEigen(x, n, dim);
    const pca = fitPca(x, n, dim, k, { solver: 'subspace' });
    for (let c = 0; c < k; c++) expect(Math.abs(pca.explainedVariance[c]! - exact.values[c]!)).toBeLessThanOrEqual(RESIDUAL_TOLERANCE * exact.values[0]!);
    expect(() => fitPca(x, n, dim, n, { solver: 'subspace' })).toThrow(/subspace iteration needs k below min\(n, dim\) = 50/);
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

describe('fitPca on bytes with a scale', () => {
  it('equals the fit on the floats the bytes stand for, by every solver', () => {
    // 0.7 of the bytes zero, like dark pixels, so the covariance route takes its sparse kernel too.
    const cases: Array<{ n: number; dim: number; solver: 'covariance' | 'gram' | 'subspace' }> = [
      { n: 300, dim: 24, solver: 'covariance' },
      { n: 20, dim: 60, solver: 'gram' },
      { n: 120, dim: 90, solver: 'subspace' },
    ];
    for (const { n, dim, solver } of cases) {
      const bytes = Uint8Array.from(random(n * dim, n + dim), (u) => (u < 0.2 ? 0 : Math.floor((u + 0.5) * 256)));
      const floats = Float64Array.from(bytes, (b) => b / 255);
      const k = 3;
      const a = fitPca(bytes, n, dim, k, { solver, scale: 1 / 255 });
      const b = fitPca(floats, n, dim, k, { solver });
      for (let j = 0; j < dim; j++) expect(a.mean[j]).toBeCloseTo(b.mean[j]!, 12);
      for (let c = 0; c < k; c++) {
        expect(a.explainedVariance[c]! / b.explainedVariance[c]!).toBeCloseTo(1, 6);
        expect(a.explainedVarianceRatio[c]).toBeCloseTo(b.explainedVarianceRatio[c]!, 6);
      }
      expect(a.totalVariance).toBeCloseTo(b.totalVariance, 10);
      // Same directions (signs are fixed by the largest entry), so the same codes of the same float rows.
      const [ca, cb] = [a.project(floats, n), b.project(floats, n)];
      for (let i = 0; i < ca.length; i++) expect(ca[i]).toBeCloseTo(cb[i]!, 5);
    }
    expect(() => fitPca(Uint8Array.of(1, 2, 3, 4), 2, 2, 1, { scale: 0 })).toThrow(/scale must be a positive number/);
  });
});
