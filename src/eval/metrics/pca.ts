/**
 * Principal component analysis by eigen-decomposition of the covariance
 * matrix, a baseline for learned latent spaces (a linear autoencoder with k
 * units spans the same subspace as k-component PCA).
 *
 * Variances divide by n (population covariance), not n − 1: then the mean
 * squared reconstruction error of k-component PCA on the fitted data equals
 * exactly the sum of the discarded eigenvalues. (scikit-learn's
 * `explained_variance_` divides by n − 1, so it is n/(n − 1) times ours.)
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { checkPositiveInt, checkShape, type Floats } from './shape.js';

/** A fitted PCA; see {@link fitPca}. */
export interface Pca {
  dim: number;
  k: number;
  /** Per-dimension mean of the fitted data (length dim). */
  mean: Float64Array;
  /**
   * k × dim, row-major: orthonormal principal directions, by decreasing
   * explained variance. Each row's largest-magnitude entry is positive (the
   * first such entry on ties), so the result does not depend on the solver's
   * arbitrary sign.
   */
  components: Float64Array;
  /** Variance of the data along each component (eigenvalues, length k). */
  explainedVariance: Float64Array;
  /** explainedVariance / totalVariance. */
  explainedVarianceRatio: Float64Array;
  /** Sum of the variances of all dim dimensions (trace of the covariance). */
  totalVariance: number;
  /** Codes of n rows of x (n × dim) → n × k: ((x − mean) · componentsᵀ). */
  project(x: Floats, n: number): Float64Array;
  /** Back to data space: codes (n × k) → n × dim: mean + codes · components. */
  reconstruct(codes: Floats, n: number): Float64Array;
}

/** Per-column mean and population variance, two-pass for accuracy. */
function columnMoments(x: Floats, n: number, dim: number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) mean[j]! += x[i * dim + j]!;
  }
  for (let j = 0; j < dim; j++) mean[j]! /= n;
  const variance = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const d = x[i * dim + j]! - mean[j]!;
      variance[j]! += d * d;
    }
  }
  for (let j = 0; j < dim; j++) variance[j]! /= n;
  return { mean, variance };
}

/**
 * dim × dim population covariance (full symmetric, row-major).
 *
 * The O(n·dim²) accumulation dominates fitting (60000 × 784 is ~2·10¹⁰
 * multiply-adds if dense), so it runs over the non-zero entries of each row
 * only: image data such as MNIST is ~80% zeros, which makes it ~25× cheaper.
 * Centering would destroy that sparsity, so we accumulate Σ y yᵀ for a shifted
 * y = x − shift and correct with the mean of y afterwards. The shift is 0 for
 * columns whose mean is within 100 standard deviations of 0 (cancellation
 * then costs at most ~10⁴ ulps) and the column mean otherwise.
 */
function covariance(x: Floats, n: number, dim: number, mean: Float64Array, variance: Float64Array): Float64Array {
  const shift = new Float64Array(dim);
  const shiftedMean = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    shift[j] = Math.abs(mean[j]!) <= 100 * Math.sqrt(variance[j]!) ? 0 : mean[j]!;
    shiftedMean[j] = mean[j]! - shift[j]!;
  }
  const sums = new Float64Array(dim * dim); // upper triangle of Σ y yᵀ
  const index = new Int32Array(dim);
  const value = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    let nnz = 0;
    for (let j = 0; j < dim; j++) {
      const y = x[i * dim + j]! - shift[j]!;
      if (y !== 0) {
        index[nnz] = j;
        value[nnz++] = y;
      }
    }
    for (let a = 0; a < nnz; a++) {
      const va = value[a]!;
      const row = index[a]! * dim;
      for (let b = a; b < nnz; b++) sums[row + index[b]!]! += va * value[b]!;
    }
  }
  const cov = new Float64Array(dim * dim);
  for (let r = 0; r < dim; r++) {
    for (let c = r; c < dim; c++) {
      const v = sums[r * dim + c]! / n - shiftedMean[r]! * shiftedMean[c]!;
      cov[r * dim + c] = v;
      cov[c * dim + r] = v;
    }
  }
  return cov;
}

/** Flip `v` in place so that its largest-magnitude entry is positive. */
function fixSign(v: Float64Array): void {
  let best = 0;
  for (let j = 1; j < v.length; j++) if (Math.abs(v[j]!) > Math.abs(v[best]!)) best = j;
  if (v[best]! < 0) for (let j = 0; j < v.length; j++) v[j] = -v[j]!;
}

/**
 * Top-k eigenpairs of a symmetric matrix, eigenvalues descending. Tiny
 * negative eigenvalues from rounding are clamped to 0 (a covariance is PSD).
 */
function topEigenpairs(cov: Float64Array, dim: number, k: number): { values: Float64Array; vectors: Float64Array } {
  const evd = new EigenvalueDecomposition(Matrix.from1DArray(dim, dim, cov), { assumeSymmetric: true });
  const eigenvalues = evd.realEigenvalues;
  const order = eigenvalues.map((_, i) => i).sort((p, q) => eigenvalues[q]! - eigenvalues[p]! || p - q);
  const vectorsByColumn = evd.eigenvectorMatrix;
  const values = new Float64Array(k);
  const vectors = new Float64Array(k * dim);
  for (let c = 0; c < k; c++) {
    values[c] = Math.max(0, eigenvalues[order[c]!]!);
    const v = vectors.subarray(c * dim, (c + 1) * dim);
    for (let j = 0; j < dim; j++) v[j] = vectorsByColumn.get(j, order[c]!);
    fixSign(v);
  }
  return { values, vectors };
}

/**
 * Fit k-component PCA to n rows of x (n × dim, row-major). Cost: one
 * O(nnz·dim) covariance pass (see above) plus an O(dim³) symmetric
 * eigen-decomposition (ml-matrix), about a second at dim = 784.
 */
export function fitPca(x: Floats, n: number, dim: number, k: number): Pca {
  checkPositiveInt('fitPca', 'n', n);
  checkShape('fitPca', 'x', x, n, dim);
  if (!Number.isInteger(k) || k < 1 || k > dim) throw new RangeError(`fitPca: k must be an integer in [1, ${dim}], got ${k}`);
  const { mean, variance } = columnMoments(x, n, dim);
  const { values, vectors } = topEigenpairs(covariance(x, n, dim, mean, variance), dim, k);
  const totalVariance = variance.reduce((s, v) => s + v, 0);
  const explainedVarianceRatio = values.map((v) => (totalVariance > 0 ? v / totalVariance : 0));
  return {
    dim,
    k,
    mean,
    components: vectors,
    explainedVariance: values,
    explainedVarianceRatio,
    totalVariance,
    project: (data, rows) => project(data, rows, mean, vectors, dim, k),
    reconstruct: (codes, rows) => reconstruct(codes, rows, mean, vectors, dim, k),
  };
}

function project(x: Floats, n: number, mean: Float64Array, components: Float64Array, dim: number, k: number): Float64Array {
  checkShape('Pca.project', 'x', x, n, dim);
  const codes = new Float64Array(n * k);
  const centered = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) centered[j] = x[i * dim + j]! - mean[j]!;
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += centered[j]! * components[c * dim + j]!;
      codes[i * k + c] = dot;
    }
  }
  return codes;
}

function reconstruct(codes: Floats, n: number, mean: Float64Array, components: Float64Array, dim: number, k: number): Float64Array {
  checkShape('Pca.reconstruct', 'codes', codes, n, k);
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const row = out.subarray(i * dim, (i + 1) * dim);
    row.set(mean);
    for (let c = 0; c < k; c++) {
      const code = codes[i * k + c]!;
      for (let j = 0; j < dim; j++) row[j]! += code * components[c * dim + j]!;
    }
  }
  return out;
}
