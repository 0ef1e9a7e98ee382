import { describe, expect, it } from 'vitest';
import { generateSprites } from '../../data/sprites.js';
import { mulberry32 } from '../../random.js';
import {
  dci,
  dciFromImportance,
  discreteEntropy,
  discretizeFactor,
  disentanglementScores,
  histogramDiscretize,
  mig,
  mutualInformation,
  sap,
} from './disentanglement.js';

/** Row-major n × cols array from columns. */
function fromColumns(columns: ArrayLike<number>[]): Float64Array {
  const n = columns[0]!.length;
  const out = new Float64Array(n * columns.length);
  columns.forEach((c, j) => {
    for (let i = 0; i < n; i++) out[i * columns.length + j] = c[i]!;
  });
  return out;
}

const ints = (values: number[]): Int32Array => Int32Array.from(values);

describe('histogramDiscretize', () => {
  it('cuts [min, max] into equal-width bins with the maximum in the last, like np.digitize on np.histogram edges', () => {
    // Edges 0, 0.75, 1.5, 2.25 (, 3): 0.7 → 0, 0.8 → 1, 2.2 → 2, 2.3 and 3 → 3.
    expect(Array.from(histogramDiscretize([0, 0.7, 0.8, 2.2, 2.3, 3], 4))).toEqual([0, 0, 1, 2, 3, 3]);
  });
  it('puts a constant column in one bin', () => {
    expect(Array.from(histogramDiscretize([5, 5, 5]))).toEqual([0, 0, 0]);
  });
});

describe('discretizeFactor', () => {
  it('keeps integer factors with few values as classes in sorted order', () => {
    expect(discretizeFactor([7, 3, 7, 5])).toEqual({ values: ints([2, 0, 2, 1]), classes: 3, categorical: true });
  });
  it('bins a continuous factor', () => {
    const f = discretizeFactor([0, 0.5, 1], 2);
    expect(f).toEqual({ values: ints([0, 1, 1]), classes: 2, categorical: false, range: [0, 1] });
  });
  it('bins integer factors with more distinct values than bins', () => {
    const f = discretizeFactor(Array.from({ length: 40 }, (_, i) => i));
    expect(f.categorical).toBe(false);
    expect(f.values[39]).toBe(19);
  });
});

describe('mutualInformation', () => {
  it('is ln 2 for two copies of a fair coin and 0 for independent coins', () => {
    expect(mutualInformation(ints([0, 0, 1, 1]), ints([1, 1, 0, 0]))).toBeCloseTo(Math.LN2, 12);
    expect(mutualInformation(ints([0, 0, 1, 1]), ints([0, 1, 0, 1]))).toBe(0);
  });
  it('matches a hand computation', () => {
    // p(0,0) = ½, p(0,1) = ¼, p(1,1) = ¼; p(a) = (¾, ¼), p(b) = (½, ½):
    // ½ ln(½/⅜) + ¼ ln(¼/⅜) + ¼ ln(¼/⅛) = 0.2157615543388356 (also H(a) + H(b) − H(a,b) with scipy.stats.entropy).
    expect(mutualInformation(ints([0, 0, 0, 1]), ints([0, 0, 1, 1]))).toBeCloseTo(0.5 * Math.log(4 / 3) + 0.25 * Math.log(2 / 3) + 0.25 * Math.LN2, 12);
    expect(mutualInformation(ints([0, 0, 0, 1]), ints([0, 0, 1, 1]))).toBeCloseTo(0.2157615543388356, 12);
  });
  it('gives the entropy of a labeling with itself', () => {
    expect(discreteEntropy(ints([0, 1, 2, 3]))).toBeCloseTo(Math.log(4), 12);
    expect(discreteEntropy(ints([2, 2, 2]))).toBe(0);
  });
});

/** Every combination of three factors with 4 values each: any two columns are exactly independent. */
function fullFactorial(): number[][] {
  const cols: number[][] = [[], [], []];
  for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) for (let c = 0; c < 4; c++) [a, b, c].forEach((v, j) => cols[j]!.push(v));
  return cols;
}

describe('mig', () => {
  const [f0, f1, g] = fullFactorial() as [number[], number[], number[]];
  const factors = fromColumns([f0, f1]);

  it('is 1 when each factor is copied by one dimension and the other is independent of both', () => {
    const r = mig(fromColumns([f1, g, f0]), factors, 64, 3, 2);
    expect(r.perFactor[0]).toBeCloseTo(1, 12);
    expect(r.perFactor[1]).toBeCloseTo(1, 12);
    expect(r.mig).toBeCloseTo(1, 12);
    expect(r.entropies[0]).toBeCloseTo(Math.log(4), 12);
    // I(z_0 = f1; f1) = ln 4, I(z_2 = f0; f1) = 0.
    expect(r.mutualInfo[0 * 2 + 1]).toBeCloseTo(Math.log(4), 12);
    expect(r.mutualInfo[2 * 2 + 1]).toBe(0);
  });

  it('gives no gap to a factor copied twice', () => {
    const r = mig(fromColumns([f0, f0, f1]), factors, 64, 3, 2);
    expect(r.perFactor[0]).toBe(0);
    expect(r.perFactor[1]).toBeCloseTo(1, 12);
    expect(r.mig).toBeCloseTo(0.5, 12);
  });

  it("matches disentanglement_lib's formulas computed with numpy", () => {
    // Reference: python3 with numpy 2.4 / scipy 1.17, mirroring mig.py: np.digitize on
    // np.histogram(z, 20) edges, I = H(a) + H(b) − H(a, b) with scipy.stats.entropy on counts,
    // and the same integer-formula columns for i = 0..299.
    const n = 300;
    const i = Array.from({ length: n }, (_, k) => k);
    const v0 = i.map((k) => k % 4);
    const v1 = i.map((k) => (((k * 31) % 89) / 89) * 3);
    const z0 = i.map((k) => v0[k]! + (((k * 7919) % 1000) / 1000) * 0.8);
    const z1 = i.map((k) => v1[k]! + (((k * 104729) % 997) / 997) * 2 - 1);
    const z2 = i.map((k) => ((k * 613) % 1009) / 1009);
    const r = mig(fromColumns([z0, z1, z2]), fromColumns([v0, v1]), n, 3, 2);
    const expected = [1.38629436, 0.66066066, 0.02317099, 1.59359179, 0.05146685, 1.07925253];
    expected.forEach((m, k) => expect(r.mutualInfo[k]).toBeCloseTo(m, 7));
    expect(r.entropies[1]).toBeCloseTo(2.98806938, 7);
    expect(r.perFactor[0]).toBeCloseTo(0.96287451, 7);
    expect(r.perFactor[1]).toBeCloseTo(0.17213096, 7);
    expect(r.mig).toBeCloseTo(0.5675027388107214, 10);
  });

  it('names the problem of a constant factor or a one-dimensional code', () => {
    expect(() => mig(fromColumns([f0, f1]), fromColumns([f0, f0.map(() => 3)]), 64, 2, 2)).toThrow(/factor 1 takes one value/);
    expect(() => mig(Float64Array.from(f0), factors, 64, 1, 2)).toThrow(/latent ≥ 2/);
    expect(() => mig(new Float64Array(10), factors, 64, 3, 2)).toThrow(/codes has 10 values/);
  });
});

describe('dciFromImportance', () => {
  it('is 1, 1 for the identity and 0, 0 for a uniform matrix', () => {
    const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    expect(dciFromImportance(identity, 3, 3).disentanglement).toBeCloseTo(1, 12);
    expect(dciFromImportance(identity, 3, 3).completeness).toBeCloseTo(1, 12);
    const uniform = new Array(6).fill(0.2);
    expect(dciFromImportance(uniform, 3, 2).disentanglement).toBeCloseTo(0, 12);
    expect(dciFromImportance(uniform, 3, 2).completeness).toBeCloseTo(0, 12);
  });

  it('matches a 2×2 hand computation', () => {
    // Rows (0.9, 0.1), (0.2, 0.8), each half of R: D = ½(1 − H₂(0.9, 0.1)) + ½(1 − H₂(0.2, 0.8)).
    // Columns (0.9, 0.2)/1.1 and (0.1, 0.8)/0.9, shares 0.55 and 0.45.
    // dci.py's disentanglement() and completeness() with scipy give 0.4045381557429985 and 0.3973126097309156.
    const h2 = (p: number[]) => -p.reduce((s, x) => s + x * Math.log2(x), 0);
    const r = dciFromImportance([0.9, 0.1, 0.2, 0.8], 2, 2);
    expect(r.disentanglement).toBeCloseTo(0.5 * (1 - h2([0.9, 0.1])) + 0.5 * (1 - h2([0.2, 0.8])), 12);
    expect(r.completeness).toBeCloseTo(0.55 * (1 - h2([0.9 / 1.1, 0.2 / 1.1])) + 0.45 * (1 - h2([0.1 / 0.9, 0.8 / 0.9])), 12);
    expect(r.disentanglement).toBeCloseTo(0.4045381557429985, 9);
    expect(r.completeness).toBeCloseTo(0.3973126097309156, 9);
  });

  it('gives a dimension that matters for nothing no weight in D', () => {
    const r = dciFromImportance([1, 0, 0, 1, 0, 0], 3, 2);
    expect(r.disentanglement).toBeCloseTo(1, 12);
    // Column entropies in base 3: each factor sits on one of three dimensions.
    expect(r.completeness).toBeCloseTo(1, 12);
  });

  it('rejects negative importances', () => {
    expect(() => dciFromImportance([1, -0.1, 0, 1], 2, 2)).toThrow(/non-negative/);
  });
});

describe('dci', () => {
  // Two continuous factors on a full 8 × 8 grid (equal variances, uncorrelated), the grid twice: train, then test.
  const grid = Array.from({ length: 64 }, (_, i) => [(Math.floor(i / 8) + 0.5) / 3, ((i % 8) + 0.5) / 3]);
  const f0 = [...grid, ...grid].map((p) => p[0]!);
  const f1 = [...grid, ...grid].map((p) => p[1]!);
  const factors = fromColumns([f0, f1]);

  it('is 1, 1, 1 for a code that copies each factor into its own dimension beside a constant one', () => {
    const r = dci(fromColumns([f1, f0.map(() => 2), f0]), factors, 128, 3, 2, 64);
    expect(r.accuracy).toEqual([1, 1]);
    expect(r.importance[2 * 2 + 0]).toBeCloseTo(1, 9);
    expect(r.importance[0 * 2 + 1]).toBeCloseTo(1, 9);
    expect(r.disentanglement).toBeCloseTo(1, 6);
    expect(r.completeness).toBeCloseTo(1, 6);
    expect(r.completenessPerFactor[0]).toBeCloseTo(1, 6);
  });

  it('is about 0, 0 but fully informative for the code (f0 + f1, f0 − f1)', () => {
    // Each factor's bins are cut by both z0 and z1 alike (f0 = (z0 + z1)/2, f1 = (z0 − z1)/2 on a symmetric
    // grid), so the trees lean on both about equally: measured importances 0.488–0.512, D 2e-5, C 3e-4.
    const r = dci(fromColumns([f0.map((v, i) => v + f1[i]!), f0.map((v, i) => v - f1[i]!)]), factors, 128, 2, 2, 64);
    expect(r.informativeness).toBe(1);
    Array.from(r.importance).forEach((w) => expect(Math.abs(w - 0.5)).toBeLessThan(0.03));
    expect(r.disentanglement).toBeLessThan(0.01);
    expect(r.completeness).toBeLessThan(0.01);
  });
});

describe('sap', () => {
  // s categorical, f continuous; rows 0..3 train, 4..7 test.
  const s = [0, 0, 0, 1, 0, 1, 1, 1];
  const f = [0.5, 1, 1.5, 2, 2, 0.5, 2, 0.5];
  const permuted = [0.5, 1.5, 1, 2, 0.5, 0.5, 0.5, 0.5];
  const r = sap(fromColumns([s, f, permuted]), fromColumns([s, f]), 8, 3, 2, 4);

  it('scores a continuous factor by squared correlation on the training rows', () => {
    // r(s, f) on rows 0..3: Sxy = 0.75, Sxx = 0.75, Syy = 1.25 → 0.6; the permutation: Sxy = 4, Sxx = Syy = 5 → 0.64.
    expect(r.scores[0 * 2 + 1]).toBeCloseTo(0.6, 12);
    expect(r.scores[1 * 2 + 1]).toBeCloseTo(1, 12);
    expect(r.scores[2 * 2 + 1]).toBeCloseTo(0.64, 12);
    expect(r.perFactor[1]).toBeCloseTo(0.36, 12);
  });

  it('scores a categorical factor by the test accuracy of a one-dimension LinearSVC', () => {
    // scikit-learn's LinearSVC(C=0.01, class_weight="balanced") on rows 0..3 (coef 0.0385, 0.0335, 0.0335;
    // intercepts −0.0014, −0.0037, −0.0037): the copy of s predicts it exactly; so strong a penalty puts the
    // boundary of f and of the permutation below all their values, so both predict 1 everywhere: 3 of 4.
    expect(Array.from({ length: 3 }, (_, j) => r.scores[j * 2])).toEqual([1, 0.75, 0.75]);
    expect(r.perFactor[0]).toBeCloseTo(0.25, 12);
    expect(r.sap).toBeCloseTo((0.25 + 0.36) / 2, 12);
  });

  it('names a bad split', () => {
    expect(() => sap(fromColumns([s, f]), fromColumns([s, f]), 8, 2, 2, 8)).toThrow(/nTrain/);
  });
});

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Sprites' factors, standardized, followed by `noise` standard normal dimensions. */
function factorCodes(factors: Float32Array, n: number, k: number, noise: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const latent = k + noise;
  const codes = new Float64Array(n * latent);
  for (let j = 0; j < k; j++) {
    let m = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) m += factors[i * k + j]! / n;
    for (let i = 0; i < n; i++) sq += (factors[i * k + j]! - m) ** 2 / n;
    for (let i = 0; i < n; i++) codes[i * latent + j] = (factors[i * k + j]! - m) / Math.sqrt(sq);
  }
  for (let i = 0; i < n; i++) for (let j = k; j < latent; j++) codes[i * latent + j] = gaussian(rand);
  return codes;
}

/** `codes` times a random rotation: a Gram–Schmidt orthonormalised Gaussian matrix. */
function rotate(codes: Float64Array, n: number, latent: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const q: number[][] = [];
  while (q.length < latent) {
    const v = Array.from({ length: latent }, () => gaussian(rand));
    for (const u of q) {
      const d = u.reduce((s, x, t) => s + x * v[t]!, 0);
      u.forEach((x, t) => (v[t]! -= d * x));
    }
    const norm = Math.hypot(...v);
    q.push(v.map((x) => x / norm));
  }
  const out = new Float64Array(n * latent);
  for (let i = 0; i < n; i++) for (let a = 0; a < latent; a++) for (let b = 0; b < latent; b++) out[i * latent + a]! += q[a]![b]! * codes[i * latent + b]!;
  return out;
}

describe('on sprites factors', () => {
  const n = 1500;
  const ds = generateSprites({ split: 'test', n, seed: 3 });
  const k = 5;
  const latent = 8;
  const factors = ds.factors!.values;
  const aligned = disentanglementScores(factorCodes(factors, n, k, 3, 1), factors, n, latent, k);
  const rotated = disentanglementScores(rotate(factorCodes(factors, n, k, 3, 1), n, latent, 2), factors, n, latent, k);

  it('scores the factors themselves (plus noise dimensions) near 1', () => {
    // Measured: MIG 0.961 (noise dimensions share a little plug-in information with every factor), SAP 0.946, D 1.000, C 1.000, I 0.996.
    expect(aligned.examples).toBe(n);
    expect(aligned.train).toBe(1000);
    expect(aligned.mig.mig).toBeGreaterThan(0.95);
    expect(aligned.sap.sap).toBeGreaterThan(0.9);
    expect(aligned.dci.disentanglement).toBeGreaterThan(0.98);
    expect(aligned.dci.completeness).toBeGreaterThan(0.98);
    expect(aligned.dci.informativeness).toBeGreaterThan(0.99);
  });

  it('scores a random rotation of them far lower, and less informative to axis-aligned trees', () => {
    // Measured: MIG 0.030, SAP 0.096, D 0.054, C 0.062, I 0.283: every factor is still a linear function of the
    // code, but depth-3 trees cutting one dimension at a time place few of its 20 bins right (aligned: I 0.996).
    expect(rotated.mig.mig).toBeLessThan(0.2);
    expect(rotated.sap.sap).toBeLessThan(0.3);
    expect(rotated.dci.disentanglement).toBeLessThan(0.3);
    expect(rotated.dci.completeness).toBeLessThan(0.3);
    expect(rotated.dci.informativeness).toBeLessThan(aligned.dci.informativeness - 0.3);
  });

  it('uses at most maxExamples', () => {
    const r = disentanglementScores(factorCodes(factors, n, k, 3, 1), factors, n, latent, k, 300);
    expect([r.examples, r.train]).toEqual([300, 200]);
    expect(() => disentanglementScores(factorCodes(factors, n, k, 3, 1), factors, n, latent, k, 5)).toThrow(/at least 10/);
  });
});
