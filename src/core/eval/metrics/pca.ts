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
import { mulberry32 } from '../../random.js';
import { checkPositiveInt, checkShape, type Floats } from './shape.js';

/**
 * Rows a PCA is fitted to: floats, or bytes (image pixels as stored, read
 * with a scale such as 1/255 instead of copied to floats).
 */
export type Rows = Floats | Uint8Array;

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
function columnMoments(x: Rows, n: number, dim: number): { mean: Float64Array; variance: Float64Array } {
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
 * The O(n·dim²) scatter-matrix accumulation dominates fitting (60000 × 784 is
 * ~2·10¹⁰ multiply-adds), so it has two kernels: a sparse one that only
 * visits pairs of non-zero entries (image data such as MNIST is ~80% zeros),
 * and a register-tiled dense one for everything else.
 *
 * Centring would destroy sparsity, so the sparse kernel accumulates Σ y yᵀ for
 * y = x − shift and subtracts the outer product of the mean of y afterwards.
 * The shift is 0 for columns whose mean is within 100 standard deviations of
 * 0 (cancellation then costs at most ~10⁴ ulps) and the column mean
 * otherwise. The dense kernel centres exactly (shift = mean).
 */
function covariance(x: Rows, n: number, dim: number, mean: Float64Array, variance: Float64Array): Float64Array {
  const sparseShift = mean.map((m, j) => (Math.abs(m) <= 100 * Math.sqrt(variance[j]!) ? 0 : m));
  const useSparse = nonZeroFraction(x, n, dim, sparseShift) < SPARSE_BELOW;
  const shift = useSparse ? sparseShift : mean;
  const sums = useSparse ? sparseScatter(x, n, dim, shift) : denseScatter(x, n, dim, shift);
  const cov = new Float64Array(dim * dim);
  for (let r = 0; r < dim; r++) {
    const mr = mean[r]! - shift[r]!;
    for (let c = r; c < dim; c++) {
      const v = sums[r * dim + c]! / n - mr * (mean[c]! - shift[c]!);
      cov[r * dim + c] = v;
      cov[c * dim + r] = v;
    }
  }
  return cov;
}

/** Below this fraction of non-zero shifted entries the sparse kernel is the faster one (several times at MNIST's ~19%). */
const SPARSE_BELOW = 0.3;

function nonZeroFraction(x: Rows, n: number, dim: number, shift: Float64Array): number {
  let nonZero = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) if (x[i * dim + j] !== shift[j]) nonZero++;
  return nonZero / (n * dim);
}

/** Upper triangle of Σᵢ yᵢ yᵢᵀ, y = x − shift, over the non-zero pairs of each row only. */
function sparseScatter(x: Rows, n: number, dim: number, shift: Float64Array): Float64Array {
  const sums = new Float64Array(dim * dim);
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
  return sums;
}

/** Rows per block of the dense kernel: a dim × 256 float64 block stays in L2 at dim 784. */
const BLOCK_ROWS = 256;

/**
 * Upper triangle (and diagonal 4×4 tiles) of Σᵢ yᵢ yᵢᵀ, y = x − shift. Rows
 * are transposed block by block into columns padded to a multiple of 4, then
 * each 4×4 tile of the output is a sum of 16 dot products along the block,
 * kept in 16 registers: each loaded value is reused 4 times and the additions
 * are independent, which is several times faster than a rank-1 update per row.
 */
function denseScatter(x: Rows, n: number, dim: number, shift: Float64Array): Float64Array {
  const padded = Math.ceil(dim / 4) * 4;
  const acc = new Float64Array(padded * padded);
  const cols = new Float64Array(padded * BLOCK_ROWS); // cols[j·BLOCK_ROWS + b], zero beyond dim
  for (let start = 0; start < n; start += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, n - start);
    for (let b = 0; b < rows; b++) {
      for (let j = 0; j < dim; j++) cols[j * BLOCK_ROWS + b] = x[(start + b) * dim + j]! - shift[j]!;
    }
    for (let i0 = 0; i0 < padded; i0 += 4) {
      for (let j0 = i0; j0 < padded; j0 += 4) addTile(cols, rows, i0, j0, acc, padded);
    }
  }
  const sums = new Float64Array(dim * dim);
  for (let r = 0; r < dim; r++) for (let c = r; c < dim; c++) sums[r * dim + c] = acc[r * padded + c]!;
  return sums;
}

/** acc[i0+a][j0+c] += Σ_b cols[i0+a][b] · cols[j0+c][b] for a, c < 4. */
function addTile(cols: Float64Array, rows: number, i0: number, j0: number, acc: Float64Array, stride: number): void {
  const a0 = i0 * BLOCK_ROWS, a1 = a0 + BLOCK_ROWS, a2 = a1 + BLOCK_ROWS, a3 = a2 + BLOCK_ROWS;
  const c0 = j0 * BLOCK_ROWS, c1 = c0 + BLOCK_ROWS, c2 = c1 + BLOCK_ROWS, c3 = c2 + BLOCK_ROWS;
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  for (let b = 0; b < rows; b++) {
    const u0 = cols[a0 + b]!, u1 = cols[a1 + b]!, u2 = cols[a2 + b]!, u3 = cols[a3 + b]!;
    let v = cols[c0 + b]!;
    s00 += u0 * v; s10 += u1 * v; s20 += u2 * v; s30 += u3 * v;
    v = cols[c1 + b]!;
    s01 += u0 * v; s11 += u1 * v; s21 += u2 * v; s31 += u3 * v;
    v = cols[c2 + b]!;
    s02 += u0 * v; s12 += u1 * v; s22 += u2 * v; s32 += u3 * v;
    v = cols[c3 + b]!;
    s03 += u0 * v; s13 += u1 * v; s23 += u2 * v; s33 += u3 * v;
  }
  let o = i0 * stride + j0;
  acc[o]! += s00; acc[o + 1]! += s01; acc[o + 2]! += s02; acc[o + 3]! += s03;
  o += stride;
  acc[o]! += s10; acc[o + 1]! += s11; acc[o + 2]! += s12; acc[o + 3]! += s13;
  o += stride;
  acc[o]! += s20; acc[o + 1]! += s21; acc[o + 2]! += s22; acc[o + 3]! += s23;
  o += stride;
  acc[o]! += s30; acc[o + 1]! += s31; acc[o + 2]! += s32; acc[o + 3]! += s33;
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
 * Top-k eigenpairs of the covariance from the n × n Gram matrix of the
 * centred rows x̃, for fewer rows than dimensions (colour images have
 * 64·64·3 = 12288 values a row, where the dim × dim covariance alone is
 * 1.2 GB): G = x̃x̃ᵀ/n has the covariance's non-zero eigenvalues, and
 * Gu = λu gives its unit eigenvector v = x̃ᵀu/√(nλ). O(n²·dim + n³) instead
 * of O(n·dim² + dim³). Null when a wanted eigenvalue is (numerically) zero,
 * whose direction the rows do not determine.
 */
function gramEigenpairs(x: Rows, n: number, dim: number, mean: Float64Array, k: number, totalVariance: number): { values: Float64Array; vectors: Float64Array } | null {
  const centred = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) centred[i * dim + j] = x[i * dim + j]! - mean[j]!;
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    const ra = centred.subarray(a * dim, (a + 1) * dim);
    for (let b = a; b < n; b++) {
      const rb = centred.subarray(b * dim, (b + 1) * dim);
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += ra[j]! * rb[j]!;
      gram[a * n + b] = gram[b * n + a] = dot / n;
    }
  }
  const { values, vectors: u } = topEigenpairs(gram, n, k);
  if (values.some((v) => !(v > 1e-12 * totalVariance))) return null;
  const vectors = new Float64Array(k * dim);
  for (let c = 0; c < k; c++) {
    const v = vectors.subarray(c * dim, (c + 1) * dim);
    const norm = Math.sqrt(n * values[c]!);
    for (let i = 0; i < n; i++) {
      const weight = u[c * n + i]! / norm;
      for (let j = 0; j < dim; j++) v[j]! += weight * centred[i * dim + j]!;
    }
    fixSign(v);
  }
  return { values, vectors };
}

/** Subspace iteration stops when every wanted Ritz pair has ‖Cv − θv‖ ≤ RESIDUAL_TOLERANCE · θ₁. */
export const RESIDUAL_TOLERANCE = 1e-6;
/** A bound on the passes over the data; reached only when the k-th and (l+1)-th eigenvalues are almost equal. */
const MAX_ITERATIONS = 300;

/**
 * Extra directions iterated beyond the k wanted: the k-th residual shrinks as
 * (λ_{l+1}/λ_k)^iterations, and on 64×64×3 shapes doubling the block halves
 * the iterations for a third more work each.
 */
const oversampling = (k: number) => Math.max(8, k);

/**
 * Top-k eigenpairs of the covariance C = x̃ᵀx̃/n by subspace iteration with
 * Rayleigh–Ritz, for data with many rows and many columns (6000 colour images
 * of 64·64·3: the dim × dim covariance and the n × n Gram matrix would each
 * cost ~10¹¹ multiply-adds and a cubic eigen-decomposition). Each iteration
 * is one pass over the rows, W = CV for an orthonormal block V of
 * l = k + oversampling directions: O(n·dim·l), never forming C.
 *
 * Exactness: it stops only when every wanted Ritz pair (θ, v) has a residual
 * ‖Cv − θv‖ (computed from W, not estimated) of at most 1e-6·θ₁. For a
 * symmetric C that guarantees an eigenvalue of C within 1e-6·θ₁ of each θ,
 * and an angle of at most 1e-6·θ₁/gap between v and C's eigenvector, gap
 * the distance from θ to the rest of C's spectrum (Davis–Kahan). Starting
 * from random directions, missing one of the top k is a probability-zero
 * event. After MAX_ITERATIONS without that, the last Ritz pairs are returned.
 */
function subspaceEigenpairs(x: Rows, n: number, dim: number, mean: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const l = Math.min(n, dim, k + oversampling(k));
  const random = gaussian(mulberry32(0x9ca));
  let v = orthonormalRows(Float64Array.from({ length: l * dim }, random), l, dim, random);
  for (let iteration = 1; ; iteration++) {
    const w = covarianceTimes(x, n, dim, mean, v, l); // [l, dim]: row c is C·v_c
    const { values: theta, vectors: s } = topEigenpairs(gramOfRows(v, w, l, dim), l, l);
    const u = combineRows(s, v, l, dim); // Ritz vectors
    const cu = combineRows(s, w, l, dim); // C times them
    let worst = 0;
    for (let c = 0; c < k; c++) {
      let r = 0;
      for (let j = 0; j < dim; j++) r += (cu[c * dim + j]! - theta[c]! * u[c * dim + j]!) ** 2;
      worst = Math.max(worst, Math.sqrt(r));
    }
    if (worst <= RESIDUAL_TOLERANCE * theta[0]! || iteration >= MAX_ITERATIONS) {
      const vectors = u.slice(0, k * dim);
      for (let c = 0; c < k; c++) fixSign(vectors.subarray(c * dim, (c + 1) * dim));
      return { values: theta.slice(0, k), vectors };
    }
    v = orthonormalRows(cu, l, dim, random);
  }
}

/** Standard normal draws (Box–Muller) from uniform ones. */
function gaussian(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Data rows handled together by covarianceTimes: each value of v and w loaded serves this many rows. */
const ROW_TILE = 4;

/**
 * [l, dim] rows of CV = Σᵢ x̃ᵢ(x̃ᵢ·v)/n for the rows v of `v`, in one pass
 * over x. Centring is folded in (x̃ᵢ·v = xᵢ·v − μ·v, and Σᵢ x̃ᵢyᵢ =
 * Σᵢ xᵢyᵢ − μΣᵢyᵢ) so that x is read as it is; ROW_TILE rows at a time
 * (rows past n are zero) so that the inner loops do several multiply-adds per load.
 */
function covarianceTimes(x: Rows, n: number, dim: number, mean: Float64Array, v: Float64Array, l: number): Float64Array {
  const meanDot = Float64Array.from({ length: l }, (_, c) => dot(mean, 0, v, c * dim, dim));
  const w = new Float64Array(l * dim);
  const ySum = new Float64Array(l);
  const tile = new Float64Array(ROW_TILE * dim); // [ROW_TILE, dim]
  const y = new Float64Array(ROW_TILE * l); // [ROW_TILE, l]
  for (let start = 0; start < n; start += ROW_TILE) {
    const rows = Math.min(ROW_TILE, n - start);
    tile.fill(0);
    tile.set(x.subarray(start * dim, (start + rows) * dim));
    for (let c = 0; c < l; c++) {
      const [d0, d1, d2, d3] = dot4(tile, dim, v, c * dim);
      y[c] = d0 - meanDot[c]!;
      y[l + c] = d1 - meanDot[c]!;
      y[2 * l + c] = d2 - meanDot[c]!;
      y[3 * l + c] = d3 - meanDot[c]!;
      for (let r = 0; r < rows; r++) ySum[c]! += y[r * l + c]!;
    }
    for (let c = 0; c < l; c++) {
      // Padding rows are zero, so their y (−μ·v) adds nothing.
      const y0 = y[c]!, y1 = y[l + c]!, y2 = y[2 * l + c]!, y3 = y[3 * l + c]!;
      const out = c * dim;
      for (let j = 0; j < dim; j++) w[out + j]! += y0 * tile[j]! + y1 * tile[dim + j]! + y2 * tile[2 * dim + j]! + y3 * tile[3 * dim + j]!;
    }
  }
  for (let c = 0; c < l; c++) for (let j = 0; j < dim; j++) w[c * dim + j] = (w[c * dim + j]! - ySum[c]! * mean[j]!) / n;
  return w;
}

/** The dot products of the four rows of `tile` ([4, dim]) with b[bAt … bAt + dim). */
function dot4(tile: Float64Array, dim: number, b: Float64Array, bAt: number): [number, number, number, number] {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let j = 0; j < dim; j++) {
    const bj = b[bAt + j]!;
    s0 += tile[j]! * bj;
    s1 += tile[dim + j]! * bj;
    s2 += tile[2 * dim + j]! * bj;
    s3 += tile[3 * dim + j]! * bj;
  }
  return [s0, s1, s2, s3];
}

function dot(a: Floats, aAt: number, b: Float64Array, bAt: number, length: number): number {
  let s = 0;
  for (let j = 0; j < length; j++) s += a[aAt + j]! * b[bAt + j]!;
  return s;
}

/** The symmetric l × l matrix VᵀW, V and W given as [l, dim] rows (W = CV). */
function gramOfRows(v: Float64Array, w: Float64Array, l: number, dim: number): Float64Array {
  const h = new Float64Array(l * l);
  for (let a = 0; a < l; a++) {
    for (let b = a; b < l; b++) {
      // VᵀCV is symmetric; averaging both products removes the rounding asymmetry.
      h[a * l + b] = h[b * l + a] = (dot(v, a * dim, w, b * dim, dim) + dot(w, a * dim, v, b * dim, dim)) / 2;
    }
  }
  return h;
}

/** Rows Σ_a s[c][a]·rows[a] for c < l ([l, l] times [l, dim]). */
function combineRows(s: Float64Array, rows: Float64Array, l: number, dim: number): Float64Array {
  const out = new Float64Array(l * dim);
  for (let c = 0; c < l; c++) {
    for (let a = 0; a < l; a++) {
      const weight = s[c * l + a]!;
      for (let j = 0; j < dim; j++) out[c * dim + j]! += weight * rows[a * dim + j]!;
    }
  }
  return out;
}

/**
 * Gram–Schmidt (twice, for orthogonality to rounding) on [l, dim] rows, in
 * place. A row with nothing left outside the earlier ones (rank-deficient
 * data) is replaced by a random direction.
 */
function orthonormalRows(rows: Float64Array, l: number, dim: number, random: () => number): Float64Array {
  for (let c = 0; c < l; c++) {
    const row = rows.subarray(c * dim, (c + 1) * dim);
    for (let attempt = 0; ; attempt++) {
      const before = Math.sqrt(dot(row, 0, row, 0, dim));
      for (let pass = 0; pass < 2; pass++) {
        for (let a = 0; a < c; a++) {
          const p = dot(row, 0, rows, a * dim, dim);
          for (let j = 0; j < dim; j++) row[j]! -= p * rows[a * dim + j]!;
        }
      }
      const norm = Math.sqrt(dot(row, 0, row, 0, dim));
      if (norm > 1e-10 * before && norm > 0) {
        for (let j = 0; j < dim; j++) row[j]! /= norm;
        break;
      }
      if (attempt > 10) throw new Error('orthonormalRows: no direction left outside the earlier rows');
      for (let j = 0; j < dim; j++) row[j] = random();
    }
  }
  return rows;
}

/** How fitPca finds the eigenpairs; `auto` picks by the shape of the data. */
export type PcaSolver = 'auto' | 'covariance' | 'gram' | 'subspace';

/**
 * Up to this many rows or columns the exact routes are always taken: they
 * take seconds there, and the covariance kernel skips zeros (MNIST's 784
 * mostly-black pixels) where subspace iteration's passes are dense.
 */
export const EXACT_UP_TO = 1024;

/**
 * The cheaper route by rough multiply-add counts: an exact one (the smaller
 * of the covariance and the Gram matrix, its eigen-decomposition ~4·m³), or
 * ~15 passes of subspace iteration at 2·n·dim·l each. The iteration's tiled
 * passes run faster per multiply-add than the exact routes' loops, so even
 * counts favour it (measured on 1500 × 12288: 11 s against 50 s for Gram).
 */
function chooseSolver(n: number, dim: number, k: number): Exclude<PcaSolver, 'auto'> {
  const dual = n < dim && k < n;
  const exact = dual ? (n * n * dim) / 2 + 4 * n ** 3 : (n * dim * dim) / 2 + 4 * dim ** 3;
  const l = k + oversampling(k);
  const subspace = 15 * 2 * n * dim * l;
  if (Math.min(n, dim) > EXACT_UP_TO && 2 * l <= Math.min(n, dim) && subspace < exact) return 'subspace';
  return dual ? 'gram' : 'covariance';
}

export interface PcaOptions {
  /** How the eigenpairs are found; default `auto`. */
  solver?: PcaSolver;
  /** The rows fitted are x·scale (bytes with 1/255 are pixels in [0, 1]); default 1. */
  scale?: number;
}

/**
 * Fit k-component PCA to n rows of x (n × dim, row-major), by the cheapest
 * route for the shape (see chooseSolver): one O(nnz·dim) covariance pass
 * (see above) plus an O(dim³) symmetric eigen-decomposition (ml-matrix),
 * about a second at dim = 784; for fewer rows than dimensions the Gram
 * matrix's O(n²·dim + n³); for many of both (colour images), subspace
 * iteration, O(n·dim·(k + oversampling)) a pass, exact to the residual
 * bound documented at subspaceEigenpairs.
 */
export function fitPca(x: Rows, n: number, dim: number, k: number, options: PcaOptions = {}): Pca {
  checkPositiveInt('fitPca', 'n', n);
  checkShape('fitPca', 'x', x, n, dim);
  if (!Number.isInteger(k) || k < 1 || k > dim) throw new RangeError(`fitPca: k must be an integer in [1, ${dim}], got ${k}`);
  const scale = options.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`fitPca: scale must be a positive number, got ${scale}`);
  const { mean, variance } = columnMoments(x, n, dim);
  const rawTotal = variance.reduce((s, v) => s + v, 0);
  const solver = options.solver === undefined || options.solver === 'auto' ? chooseSolver(n, dim, k) : options.solver;
  if (solver === 'subspace' && k >= Math.min(n, dim)) throw new RangeError(`fitPca: subspace iteration needs k below min(n, dim) = ${Math.min(n, dim)}, got ${k}`);
  const dual = solver === 'gram' && n < dim && k < n ? gramEigenpairs(x, n, dim, mean, k, rawTotal) : null;
  const { values: rawValues, vectors } = solver === 'subspace' ? subspaceEigenpairs(x, n, dim, mean, k) : (dual ?? topEigenpairs(covariance(x, n, dim, mean, variance), dim, k));
  // Scaling the rows by s scales the mean by s and every variance by s²; the directions stay.
  for (let j = 0; j < dim; j++) mean[j]! *= scale;
  const values = rawValues.map((v) => v * scale * scale);
  const totalVariance = rawTotal * scale * scale;
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
