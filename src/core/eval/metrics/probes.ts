/**
 * Probes of representation quality: how well latent codes predict labels.
 * A k-nearest-neighbour classifier measures local class structure; a linear
 * (softmax) classifier measures linear separability. Both are plain
 * single-threaded JavaScript and deterministic.
 *
 * Codes are row-major n × dim; labels are integers in [0, numClasses).
 */
import { minimizeLbfgs } from './lbfgs.js';
import { checkPositiveInt, checkShape, type Floats, type Labels } from './shape.js';
import { mulberry32 } from '../../random.js';

/** Row count implied by the labels, after checking that the codes match. */
function rowsOf(fn: string, name: string, x: Floats, y: Labels, dim: number): number {
  checkPositiveInt(fn, `${name} size`, y.length);
  checkShape(fn, `${name}X`, x, y.length, dim);
  return y.length;
}

/** Throw unless every label is an integer in [0, numClasses). */
function checkLabels(fn: string, y: Labels, numClasses: number): void {
  for (let i = 0; i < y.length; i++) {
    const label = y[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new RangeError(`${fn}: label ${label} at index ${i} is not an integer in [0, ${numClasses})`);
    }
  }
}

function maxLabel(y: Labels): number {
  let max = 0;
  for (let i = 0; i < y.length; i++) if (y[i]! > max) max = y[i]!;
  return max;
}

/** Fraction of positions where `predicted` equals `truth`. */
function accuracy(predicted: Int32Array, truth: Labels): number {
  let correct = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === truth[i]) correct++;
  return correct / predicted.length;
}

/**
 * `count` distinct indices out of [0, n), chosen uniformly with a seeded
 * partial Fisher–Yates shuffle and returned in increasing order, so that
 * ties between equidistant neighbours still go to the earlier example.
 */
function sampleIndices(n: number, count: number, seed: number): Int32Array {
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  const random = mulberry32(seed);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    const tmp = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = tmp;
  }
  return pool.slice(0, count).sort();
}

// ---------------------------------------------------------------------------
// k-nearest neighbours

/** Options of {@link knnPredict} and {@link knnAccuracy}. */
export interface KnnOptions {
  /** Use a seeded random subset of at most this many training examples. */
  maxTrain?: number;
  /** Seed of that subset; default 0. */
  seed?: number;
}

/** Queries and training rows per register tile: 4 × 4 = 16 independent accumulators. */
const TILE = 4;

/**
 * The training set as the hot loop wants it: one Float32Array (a single
 * array type keeps the loop monomorphic), optionally a seeded random subset
 * of `maxTrain` rows, centred on its mean, with squared norms.
 *
 * Distances are ranked as ‖r‖² − 2 q·r (‖q‖² is the same for every row r).
 * Centring keeps the norms small, so that form loses no accuracy to
 * cancellation even when all codes sit far from the origin.
 */
function knnTrainSet(x: Floats, y: Labels, n: number, dim: number, options: KnnOptions) {
  const maxTrain = options.maxTrain ?? n;
  checkPositiveInt('knn', 'maxTrain', maxTrain);
  const rows = maxTrain < n ? sampleIndices(n, maxTrain, options.seed ?? 0) : null;
  const count = Math.min(n, maxTrain);
  const center = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    const src = (rows === null ? i : rows[i]!) * dim;
    for (let j = 0; j < dim; j++) center[j]! += x[src + j]!;
  }
  for (let j = 0; j < dim; j++) center[j]! /= count;
  const codes = new Float32Array(count * dim);
  const norms = new Float64Array(count);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const src = rows === null ? i : rows[i]!;
    labels[i] = y[src]!;
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = (codes[i * dim + j] = x[src * dim + j]! - center[j]!);
      norm += v * v; // of the stored float32 value, to match the dot products
    }
    norms[i] = norm;
  }
  return { codes, norms, labels, center, count };
}

/**
 * Sorted lists of the k nearest rows seen so far for each query of a tile.
 * A candidate that is not closer than the current k-th (`worst`) is rejected
 * by one comparison, so keeping them costs O(candidates), not a sort. Rows
 * arrive in increasing order and only strictly closer rows displace others,
 * so equal distances keep the earlier row.
 */
class NearestLists {
  readonly dist: Float64Array;
  readonly index: Int32Array;
  readonly worst = new Float64Array(TILE);

  constructor(readonly k: number) {
    this.dist = new Float64Array(TILE * k);
    this.index = new Int32Array(TILE * k);
  }

  reset(): void {
    this.dist.fill(Infinity);
    this.index.fill(-1);
    this.worst.fill(Infinity);
  }

  /** Insert row r at distance d for query m; only call when d < worst[m]. */
  offer(m: number, d: number, r: number): void {
    const base = m * this.k;
    let slot = this.k - 1;
    while (slot > 0 && this.dist[base + slot - 1]! > d) {
      this.dist[base + slot] = this.dist[base + slot - 1]!;
      this.index[base + slot] = this.index[base + slot - 1]!;
      slot--;
    }
    this.dist[base + slot] = d;
    this.index[base + slot] = r;
    this.worst[m] = this.dist[base + this.k - 1]!;
  }
}

/**
 * Put −2·(query − center) of TILE consecutive test rows starting at `first`
 * into `q`, interleaved (q[j·TILE + m]) so the kernel reads them together.
 * A last, partial tile repeats the final query; its extra results are unused.
 */
function loadQueries(testX: Floats, first: number, nTest: number, dim: number, center: Float64Array, q: Float64Array): void {
  for (let m = 0; m < TILE; m++) {
    const row = Math.min(first + m, nTest - 1) * dim;
    for (let j = 0; j < dim; j++) q[j * TILE + m] = -2 * (testX[row + j]! - center[j]!);
  }
}

/**
 * Offer every training row to the nearest-lists of the 4 queries in `q`.
 * The 4 × 4 register tile (4 queries × 4 rows, 16 running sums) reuses each
 * loaded value 4 times and gives the CPU independent additions to overlap:
 * several times faster than one distance at a time in JavaScript.
 */
function scanTile(train: Float32Array, norms: Float64Array, count: number, dim: number, q: Float64Array, lists: NearestLists): void {
  const worst = lists.worst;
  let r = 0;
  for (; r + TILE <= count; r += TILE) {
    const b0 = r * dim, b1 = b0 + dim, b2 = b1 + dim, b3 = b2 + dim;
    let d00 = norms[r]!, d01 = d00, d02 = d00, d03 = d00;
    let d10 = norms[r + 1]!, d11 = d10, d12 = d10, d13 = d10;
    let d20 = norms[r + 2]!, d21 = d20, d22 = d20, d23 = d20;
    let d30 = norms[r + 3]!, d31 = d30, d32 = d30, d33 = d30;
    for (let j = 0; j < dim; j++) {
      const o = j * TILE;
      const q0 = q[o]!, q1 = q[o + 1]!, q2 = q[o + 2]!, q3 = q[o + 3]!;
      let t = train[b0 + j]!;
      d00 += t * q0; d01 += t * q1; d02 += t * q2; d03 += t * q3;
      t = train[b1 + j]!;
      d10 += t * q0; d11 += t * q1; d12 += t * q2; d13 += t * q3;
      t = train[b2 + j]!;
      d20 += t * q0; d21 += t * q1; d22 += t * q2; d23 += t * q3;
      t = train[b3 + j]!;
      d30 += t * q0; d31 += t * q1; d32 += t * q2; d33 += t * q3;
    }
    // Row by row, so that each query sees rows in increasing order.
    if (d00 < worst[0]!) lists.offer(0, d00, r);
    if (d01 < worst[1]!) lists.offer(1, d01, r);
    if (d02 < worst[2]!) lists.offer(2, d02, r);
    if (d03 < worst[3]!) lists.offer(3, d03, r);
    if (d10 < worst[0]!) lists.offer(0, d10, r + 1);
    if (d11 < worst[1]!) lists.offer(1, d11, r + 1);
    if (d12 < worst[2]!) lists.offer(2, d12, r + 1);
    if (d13 < worst[3]!) lists.offer(3, d13, r + 1);
    if (d20 < worst[0]!) lists.offer(0, d20, r + 2);
    if (d21 < worst[1]!) lists.offer(1, d21, r + 2);
    if (d22 < worst[2]!) lists.offer(2, d22, r + 2);
    if (d23 < worst[3]!) lists.offer(3, d23, r + 2);
    if (d30 < worst[0]!) lists.offer(0, d30, r + 3);
    if (d31 < worst[1]!) lists.offer(1, d31, r + 3);
    if (d32 < worst[2]!) lists.offer(2, d32, r + 3);
    if (d33 < worst[3]!) lists.offer(3, d33, r + 3);
  }
  for (; r < count; r++) {
    for (let m = 0; m < TILE; m++) {
      let d = norms[r]!;
      for (let j = 0; j < dim; j++) d += train[r * dim + j]! * q[j * TILE + m]!;
      if (d < worst[m]!) lists.offer(m, d, r);
    }
  }
}

/**
 * Majority label among the neighbours (nearest first). On a tie between
 * labels, the label of the nearest neighbour among the tied labels wins.
 */
function vote(neighbours: Int32Array, labels: Int32Array, votes: Int32Array): number {
  votes.fill(0);
  let top = 0;
  for (const r of neighbours) top = Math.max(top, ++votes[labels[r]!]!);
  for (const r of neighbours) if (votes[labels[r]!] === top) return labels[r]!;
  return -1; // unreachable: k ≥ 1
}

/**
 * k-NN predictions for each row of `testX` (Euclidean distance, majority
 * vote, ties to the nearest; equal distances, up to rounding, go to the
 * earlier training row). Exact brute force over training codes stored as
 * float32: O(nTrain·nTest·dim). Use `maxTrain` to subsample the training set
 * for quicker estimates.
 */
export function knnPredict(trainX: Floats, trainY: Labels, testX: Floats, dim: number, k = 5, options: KnnOptions = {}): Int32Array {
  const nTrain = rowsOf('knnPredict', 'train', trainX, trainY, dim);
  checkPositiveInt('knnPredict', 'k', k);
  checkLabels('knnPredict', trainY, Infinity);
  if (testX.length % dim !== 0) throw new RangeError(`knnPredict: testX length ${testX.length} is not a multiple of dim ${dim}`);
  const nTest = testX.length / dim;
  const train = knnTrainSet(trainX, trainY, nTrain, dim, options);
  const lists = new NearestLists(Math.min(k, train.count));
  const votes = new Int32Array(maxLabel(train.labels) + 1);
  const q = new Float64Array(dim * TILE);
  const predicted = new Int32Array(nTest);
  for (let first = 0; first < nTest; first += TILE) {
    loadQueries(testX, first, nTest, dim, train.center, q);
    lists.reset();
    scanTile(train.codes, train.norms, train.count, dim, q, lists);
    for (let m = 0; m < TILE && first + m < nTest; m++) {
      predicted[first + m] = vote(lists.index.subarray(m * lists.k, (m + 1) * lists.k), train.labels, votes);
    }
  }
  return predicted;
}

/** Test accuracy in [0, 1] of {@link knnPredict}. */
export function knnAccuracy(trainX: Floats, trainY: Labels, testX: Floats, testY: Labels, dim: number, k = 5, options: KnnOptions = {}): number {
  rowsOf('knnAccuracy', 'test', testX, testY, dim);
  return accuracy(knnPredict(trainX, trainY, testX, dim, k, options), testY);
}

// ---------------------------------------------------------------------------
// Multinomial logistic regression

/**
 * Mean softmax cross-entropy of a linear classifier plus an L2 penalty on
 * the weights (not the biases):
 *
 *   f = (1/n) Σᵢ [log Σ_c exp(z_ic) − z_i,yᵢ] + (l2/2)·‖W‖²,  z_i = W xᵢ + b.
 *
 * `params` holds W (numClasses × dim, row-major) followed by b (numClasses).
 * Returns f and writes ∇f (same layout) into `grad`:
 * ∂f/∂W = (1/n) Σᵢ (pᵢ − onehot(yᵢ)) xᵢᵀ + l2·W, ∂f/∂b = (1/n) Σᵢ (pᵢ − onehot(yᵢ)).
 */
export function softmaxCrossEntropy(params: Float64Array, x: Floats, y: Labels, n: number, dim: number, numClasses: number, l2: number, grad: Float64Array): number {
  const biasAt = numClasses * dim;
  if (params.length !== biasAt + numClasses || grad.length !== params.length) {
    throw new RangeError(`softmaxCrossEntropy: params and grad need ${biasAt + numClasses} entries, got ${params.length} and ${grad.length}`);
  }
  const z = new Float64Array(numClasses);
  grad.fill(0);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    let zMax = -Infinity;
    for (let c = 0; c < numClasses; c++) {
      let s = params[biasAt + c]!;
      const w = c * dim;
      for (let j = 0; j < dim; j++) s += params[w + j]! * x[row + j]!;
      z[c] = s;
      if (s > zMax) zMax = s;
    }
    const label = y[i]!;
    const zLabel = z[label]!;
    // Shift by the max logit so exp cannot overflow; z then holds exp(z − zMax).
    let sumExp = 0;
    for (let c = 0; c < numClasses; c++) {
      const e = Math.exp(z[c]! - zMax);
      z[c] = e;
      sumExp += e;
    }
    loss += zMax + Math.log(sumExp) - zLabel;
    for (let c = 0; c < numClasses; c++) {
      const g = z[c]! / sumExp - (c === label ? 1 : 0);
      grad[biasAt + c]! += g;
      const w = c * dim;
      for (let j = 0; j < dim; j++) grad[w + j]! += g * x[row + j]!;
    }
  }
  let penalty = 0;
  for (let p = 0; p < params.length; p++) {
    grad[p]! /= n;
    if (p < biasAt) {
      penalty += params[p]! * params[p]!;
      grad[p]! += l2 * params[p]!;
    }
  }
  return loss / n + 0.5 * l2 * penalty;
}

/** Options of {@link trainLogisticRegression}. */
export interface LogisticRegressionOptions {
  /** L2 penalty strength on the (standardized-feature) weights; default 1e-4. */
  l2?: number;
  /** Maximum L-BFGS iterations; default 100. */
  maxIterations?: number;
  /** Stop when the largest gradient entry falls below this; default 1e-5. */
  gradientTolerance?: number;
  /** Stop when an iteration lowers the loss by less than this fraction; default 1e-9. */
  relativeTolerance?: number;
  /** Standardize features to zero mean and unit variance (training statistics); default true. */
  standardize?: boolean;
  /** L-BFGS history length; default 10. */
  history?: number;
}

/** A trained softmax classifier; see {@link trainLogisticRegression}. */
export interface LogisticRegressionModel {
  dim: number;
  numClasses: number;
  /** numClasses × dim weights, acting on standardized features. */
  weights: Float64Array;
  bias: Float64Array;
  /** Feature standardization: x' = (x − featureMean) / featureScale. */
  featureMean: Float64Array;
  featureScale: Float64Array;
  /** Final training objective (mean cross-entropy + penalty). */
  loss: number;
  iterations: number;
  /** Whether a tolerance was met before maxIterations. */
  converged: boolean;
  /** Most probable class of each of n rows of x (n × dim). */
  predict(x: Floats, n: number): Int32Array;
}

/** Mean and standard deviation per feature; zero spread gets scale 1 so constant features map to 0. */
function featureStats(x: Floats, n: number, dim: number, standardize: boolean): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim).fill(1);
  if (!standardize) return { mean, scale };
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += x[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= n;
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const d = x[i * dim + j]! - mean[j]!;
      sq[j]! += d * d;
    }
  }
  for (let j = 0; j < dim; j++) {
    const sd = Math.sqrt(sq[j]! / n);
    if (sd > 1e-12) scale[j] = sd;
  }
  return { mean, scale };
}

/** Standardized copy as Float32Array: half the memory of float64 and one array type in the hot loop. */
function standardized(x: Floats, n: number, dim: number, mean: Float64Array, scale: Float64Array): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = (x[i * dim + j]! - mean[j]!) / scale[j]!;
  return out;
}

/**
 * Fit multinomial logistic regression (softmax) on standardized features by
 * full-batch L-BFGS from zero weights: deterministic, no TensorFlow. Each
 * iteration is about two passes over the data (O(n·dim·numClasses)).
 */
export function trainLogisticRegression(x: Floats, y: Labels, dim: number, numClasses: number, options: LogisticRegressionOptions = {}): LogisticRegressionModel {
  const n = rowsOf('trainLogisticRegression', 'train', x, y, dim);
  checkPositiveInt('trainLogisticRegression', 'numClasses', numClasses);
  checkLabels('trainLogisticRegression', y, numClasses);
  const l2 = options.l2 ?? 1e-4;
  const { mean, scale } = featureStats(x, n, dim, options.standardize ?? true);
  const xs = standardized(x, n, dim, mean, scale);
  const fit = minimizeLbfgs((p, g) => softmaxCrossEntropy(p, xs, y, n, dim, numClasses, l2, g), numClasses * (dim + 1), {
    maxIterations: options.maxIterations ?? 100,
    gradientTolerance: options.gradientTolerance ?? 1e-5,
    relativeTolerance: options.relativeTolerance ?? 1e-9,
    history: options.history ?? 10,
  });
  const weights = fit.params.slice(0, numClasses * dim);
  const bias = fit.params.slice(numClasses * dim);
  return {
    dim,
    numClasses,
    weights,
    bias,
    featureMean: mean,
    featureScale: scale,
    loss: fit.loss,
    iterations: fit.iterations,
    converged: fit.converged,
    predict: (data, rows) => predictLinear(data, rows, dim, numClasses, weights, bias, mean, scale),
  };
}

/** argmax_c (W x' + b)_c with x' the standardized row; ties go to the lower class. */
function predictLinear(x: Floats, n: number, dim: number, numClasses: number, weights: Float64Array, bias: Float64Array, mean: Float64Array, scale: Float64Array): Int32Array {
  checkShape('LogisticRegressionModel.predict', 'x', x, n, dim);
  const predicted = new Int32Array(n);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) row[j] = (x[i * dim + j]! - mean[j]!) / scale[j]!;
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < numClasses; c++) {
      let s = bias[c]!;
      for (let j = 0; j < dim; j++) s += weights[c * dim + j]! * row[j]!;
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    predicted[i] = best;
  }
  return predicted;
}

/** Test accuracy in [0, 1] of {@link trainLogisticRegression} fitted on the training set. */
export function logisticRegressionAccuracy(trainX: Floats, trainY: Labels, testX: Floats, testY: Labels, dim: number, numClasses: number, options: LogisticRegressionOptions = {}): number {
  const nTest = rowsOf('logisticRegressionAccuracy', 'test', testX, testY, dim);
  checkLabels('logisticRegressionAccuracy', testY, numClasses);
  const model = trainLogisticRegression(trainX, trainY, dim, numClasses, options);
  return accuracy(model.predict(testX, nTest), testY);
}
