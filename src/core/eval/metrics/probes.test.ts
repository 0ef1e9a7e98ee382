import { describe, expect, it } from 'vitest';
import { knnAccuracy, knnPredict, logisticRegressionAccuracy, softmaxCrossEntropy, trainLogisticRegression } from './probes.js';

function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * Unit Gaussian blobs, one per class, around centres drawn with scale
 * `spread` from `centreSeed`; the points come from `pointSeed`, so train and
 * test sets share centres but not points.
 */
function blobs(n: number, dim: number, classes: number, spread: number, centreSeed: number, pointSeed = centreSeed + 1000): { x: Float32Array; y: Int32Array } {
  const centreGauss = gaussian(uniform(centreSeed));
  const centres = Array.from({ length: classes }, () => Array.from({ length: dim }, () => spread * centreGauss()));
  const gauss = gaussian(uniform(pointSeed));
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let j = 0; j < dim; j++) x[i * dim + j] = centres[y[i]!]![j]! + gauss();
  }
  return { x, y };
}

/** Brute-force k-NN straight from the definition: sort all distances, stable on index. */
function naiveKnn(trainX: ArrayLike<number>, trainY: ArrayLike<number>, testX: ArrayLike<number>, dim: number, k: number): number[] {
  const nTrain = trainY.length;
  const out: number[] = [];
  for (let t = 0; t < testX.length / dim; t++) {
    const order = Array.from({ length: nTrain }, (_, r) => {
      let d = 0;
      for (let j = 0; j < dim; j++) d += (trainX[r * dim + j]! - testX[t * dim + j]!) ** 2;
      return { r, d };
    }).sort((p, q) => p.d - q.d || p.r - q.r);
    const nearest = order.slice(0, k).map((e) => trainY[e.r]!);
    const votes = new Map<number, number>();
    for (const label of nearest) votes.set(label, (votes.get(label) ?? 0) + 1);
    const top = Math.max(...votes.values());
    out.push(nearest.find((label) => votes.get(label) === top)!);
  }
  return out;
}

describe('knnPredict / knnAccuracy', () => {
  it('solves a hand-checkable 1-D case, including a vote tie broken by the nearest neighbour', () => {
    // Train points on a line: 0,1,2 → class 0; 10,11 → class 1; 20 → class 2.
    const trainX = new Float32Array([0, 1, 2, 10, 11, 20]);
    const trainY = [0, 0, 0, 1, 1, 2];
    // Query 1.2, k=3: neighbours 1, 2, 0 → class 0.
    // Query 9, k=3: neighbours 10, 11, 2 → class 1 (2 votes to 1).
    // Query 14, k=2: neighbours 11 (class 1), 10 (class 1) → 1.
    // Query 16, k=2: neighbours 20 (class 2, d=4) and 11 (class 1, d=5) → tie, nearest wins → 2.
    expect(Array.from(knnPredict(trainX, trainY, new Float32Array([1.2, 9]), 1, 3))).toEqual([0, 1]);
    expect(Array.from(knnPredict(trainX, trainY, new Float32Array([14, 16]), 1, 2))).toEqual([1, 2]);
    // k = 1 is plain nearest neighbour; k larger than the training set uses all of it.
    expect(Array.from(knnPredict(trainX, trainY, new Float32Array([19, 5.5]), 1, 1))).toEqual([2, 0]);
    expect(Array.from(knnPredict(trainX, trainY, new Float32Array([19]), 1, 100))).toEqual([0]);
    // Query 16, k=3: neighbours 20, 11, 10 → class 1, so the label 2 given here counts as an error.
    expect(knnAccuracy(trainX, trainY, new Float32Array([1.2, 9, 16]), [0, 1, 2], 1, 3)).toBeCloseTo(2 / 3, 12);
  });

  it('breaks exact distance ties towards the earlier training row', () => {
    // Query 5 is at distance 5 from both 0 (class 0) and 10 (class 1).
    expect(Array.from(knnPredict(new Float32Array([0, 10]), [0, 1], new Float32Array([5]), 1, 1))).toEqual([0]);
    expect(Array.from(knnPredict(new Float32Array([10, 0]), [1, 0], new Float32Array([5]), 1, 1))).toEqual([1]);
  });

  it('agrees with brute force on random data (row and query counts not multiples of the tile)', () => {
    const rand = uniform(11);
    const [nTrain, nTest, dim] = [103, 37, 6];
    const trainX = Float32Array.from({ length: nTrain * dim }, () => 50 + rand());
    const trainY = Int32Array.from({ length: nTrain }, () => Math.floor(rand() * 4));
    const testX = Float32Array.from({ length: nTest * dim }, () => 50 + rand());
    for (const k of [1, 4, 7]) expect(Array.from(knnPredict(trainX, trainY, testX, dim, k))).toEqual(naiveKnn(trainX, trainY, testX, dim, k));
  });

  it('is near 100% on separated Gaussian blobs, also with a training subsample', () => {
    const train = blobs(2000, 10, 5, 3, 1);
    const test = blobs(500, 10, 5, 3, 1, 77);
    expect(knnAccuracy(train.x, train.y, test.x, test.y, 10, 5)).toBeGreaterThan(0.98);
    expect(knnAccuracy(train.x, train.y, test.x, test.y, 10, 5, { maxTrain: 300, seed: 1 })).toBeGreaterThan(0.95);
  });

  it('subsamples deterministically for a given seed', () => {
    const train = blobs(400, 3, 4, 0.5, 2);
    const query = blobs(60, 3, 4, 0.5, 2, 3).x;
    const a = knnPredict(train.x, train.y, query, 3, 5, { maxTrain: 50, seed: 7 });
    expect(Array.from(knnPredict(train.x, train.y, query, 3, 5, { maxTrain: 50, seed: 7 }))).toEqual(Array.from(a));
  });

  it('rejects inconsistent inputs', () => {
    expect(() => knnPredict(new Float32Array(5), [0, 1], new Float32Array(2), 2)).toThrow(RangeError);
    expect(() => knnPredict(new Float32Array(4), [0, 1.5], new Float32Array(2), 2)).toThrow(RangeError);
    expect(() => knnAccuracy(new Float32Array(4), [0, 1], new Float32Array(2), [0, 1], 2)).toThrow(RangeError);
  });
});

describe('softmaxCrossEntropy', () => {
  const [n, dim, classes, l2] = [7, 3, 4, 0.3];
  const rand = uniform(5);
  const x = Float64Array.from({ length: n * dim }, () => rand() * 4 - 2);
  const y = Int32Array.from({ length: n }, (_, i) => i % classes);

  it('is log(numClasses) at zero parameters', () => {
    const grad = new Float64Array(classes * (dim + 1));
    expect(softmaxCrossEntropy(new Float64Array(grad.length), x, y, n, dim, classes, l2, grad)).toBeCloseTo(Math.log(classes), 14);
  });

  it('has the gradient of central finite differences', () => {
    const params = Float64Array.from({ length: classes * (dim + 1) }, () => rand() * 2 - 1);
    const grad = new Float64Array(params.length);
    softmaxCrossEntropy(params, x, y, n, dim, classes, l2, grad);
    const scratch = new Float64Array(params.length);
    const h = 1e-6;
    for (let p = 0; p < params.length; p++) {
      const plus = Float64Array.from(params);
      const minus = Float64Array.from(params);
      plus[p]! += h;
      minus[p]! -= h;
      const numeric = (softmaxCrossEntropy(plus, x, y, n, dim, classes, l2, scratch) - softmaxCrossEntropy(minus, x, y, n, dim, classes, l2, scratch)) / (2 * h);
      expect(grad[p]).toBeCloseTo(numeric, 8);
    }
  });
});

describe('logistic regression', () => {
  const dim = 8;
  const all = blobs(3000, dim, 6, 2, 9);
  const trainX = all.x.subarray(0, 2400 * dim);
  const trainY = all.y.subarray(0, 2400);
  const testX = all.x.subarray(2400 * dim);
  const testY = all.y.subarray(2400);

  it('is near 100% on separated Gaussian blobs', () => {
    expect(logisticRegressionAccuracy(trainX, trainY, testX, testY, dim, 6)).toBeGreaterThan(0.95);
  });

  it('is deterministic and converges to a small gradient', () => {
    const a = trainLogisticRegression(trainX, trainY, dim, 6, { l2: 1e-2 });
    const b = trainLogisticRegression(trainX, trainY, dim, 6, { l2: 1e-2 });
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
    expect(a.converged).toBe(true);
    const grad = new Float64Array(6 * (dim + 1));
    const params = new Float64Array(grad.length);
    params.set(a.weights);
    params.set(a.bias, 6 * dim);
    const xs = trainX.map((v, i) => (v - a.featureMean[i % dim]!) / a.featureScale[i % dim]!);
    softmaxCrossEntropy(params, xs, trainY, 2400, dim, 6, 1e-2, grad);
    expect(Math.max(...grad.map(Math.abs))).toBeLessThan(1e-3);
  });

  it('standardizes features, so a feature scaled by 1000 changes nothing', () => {
    const scaled = trainX.map((v, i) => (i % dim === 0 ? v * 1000 + 5000 : v));
    const scaledTest = testX.map((v, i) => (i % dim === 0 ? v * 1000 + 5000 : v));
    const plain = trainLogisticRegression(trainX, trainY, dim, 6).predict(testX, 600);
    const rescaled = trainLogisticRegression(scaled, trainY, dim, 6).predict(scaledTest, 600);
    let same = 0;
    for (let i = 0; i < 600; i++) same += plain[i] === rescaled[i] ? 1 : 0;
    expect(same).toBeGreaterThan(595);
  });

  it('rejects labels outside [0, numClasses)', () => {
    expect(() => trainLogisticRegression(new Float32Array([0, 1]), [0, 3], 1, 3)).toThrow(RangeError);
  });
});
