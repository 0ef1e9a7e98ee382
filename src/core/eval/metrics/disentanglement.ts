/**
 * Disentanglement of a code with respect to known generative factors, after
 * the definitions in Google's disentanglement_lib (Locatello et al. 2019):
 *
 * - MIG, mutual information gap (Chen et al. 2018; disentanglement_lib mig.py):
 *   each code dimension is cut into 20 equal-width bins over its range
 *   (`histogram_discretize`), m[j,k] = I(z_j; v_k) is the plug-in mutual
 *   information of the discrete values in nats (sklearn `mutual_info_score`),
 *   and MIG = mean_k (m[top,k] − m[second,k]) / H(v_k).
 * - SAP, separated attribute predictability (Kumar et al. 2018; sap_score.py):
 *   S[j,k] scores how well code dimension j alone predicts factor k, and
 *   SAP = mean_k (S[top,k] − S[second,k]). For a continuous factor S is the
 *   squared correlation on the training part, exactly as sap_score.py; for a
 *   categorical factor it is the test accuracy of sap_score.py's one-feature
 *   LinearSVC(C=0.01, class_weight="balanced") (linear-svc.ts).
 * - DCI (Eastwood & Williams 2018; dci.py): per factor, a predictor of the
 *   factor's classes from the whole code gives an importance per code
 *   dimension, R [latent × factors]: as in dci.py, a gradient-boosted
 *   classifier with scikit-learn's defaults (boosting.ts) and its
 *   impurity-based feature importances, each column summing to 1.
 *   D = Σ_j ρ_j (1 − H_K(R[j,·]/Σ R[j,·])) with ρ_j = Σ_k R[j,k] / Σ R,
 *   C = Σ_k ρ_k (1 − H_L(R[·,k]/Σ R[·,k])) with ρ_k the column shares (a plain
 *   mean when columns sum alike), entropies in base K (factors) and L
 *   (latent dimensions); informativeness = mean test accuracy.
 *
 * Factors: a column whose values are all integers with at most 20 distinct
 * values is categorical (sprites' shape; classes in sorted order); any other
 * column is continuous and is cut into 20 equal-width bins like the codes
 * (sprites' scale, rotation, x, y), for MIG and for DCI's classifiers.
 */
import { fitBoostedClassifier } from './boosting.js';
import { fitLinearSvc } from './linear-svc.js';
import { checkPositiveInt, checkShape, type Floats } from './shape.js';

/** Bins of histogram_discretize, for codes and continuous factors (disentanglement_lib's default). */
export const DISENTANGLEMENT_BINS = 20;

/** Column `col` of a row-major n × cols array. */
function column(x: ArrayLike<number>, n: number, cols: number, col: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i * cols + col]!;
  return out;
}

/**
 * numpy's `np.digitize(x, np.histogram(x, bins)[1][:-1]) - 1`: equal-width
 * bins over [min, max], the maximum in the last bin; a constant column is one bin.
 */
export function histogramDiscretize(values: ArrayLike<number>, bins = DISENTANGLEMENT_BINS): Int32Array {
  checkPositiveInt('histogramDiscretize', 'bins', bins);
  const range = rangeOf(values);
  return Int32Array.from(values, (x) => binOf(x, range, bins));
}

function rangeOf(values: ArrayLike<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  return [min, max];
}

/** Bin of x among `bins` equal-width bins over [min, max]; values outside go to the end bins, an empty range is bin 0. */
function binOf(x: number, [min, max]: [number, number], bins: number): number {
  if (!(max > min)) return 0;
  const width = (max - min) / bins;
  const edge = (b: number): number => min + b * width; // as np.linspace computes the edges
  let b = Math.max(0, Math.min(bins - 1, Math.floor((x - min) / width)));
  // The division can land one bin off at an edge; compare with the edges themselves, as np.digitize does.
  if (b < bins - 1 && x >= edge(b + 1)) b++;
  else if (b > 0 && x < edge(b)) b--;
  return b;
}

/** A factor column as classes 0..classes−1; `range` is set when a continuous factor was binned over it. */
export interface DiscreteFactor {
  values: Int32Array;
  classes: number;
  categorical: boolean;
  range?: [number, number];
}

/** Categorical when integer-valued with at most `bins` distinct values (classes in sorted order), else histogram bins. */
export function discretizeFactor(values: ArrayLike<number>, bins = DISENTANGLEMENT_BINS): DiscreteFactor {
  const distinct = new Set<number>();
  let integers = true;
  for (let i = 0; i < values.length && integers && distinct.size <= bins; i++) {
    integers = Number.isInteger(values[i]!);
    distinct.add(values[i]!);
  }
  if (integers && distinct.size <= bins) {
    const index = new Map([...distinct].sort((a, b) => a - b).map((v, c) => [v, c]));
    return { values: Int32Array.from(values, (v) => index.get(v)!), classes: index.size, categorical: true };
  }
  const range = rangeOf(values);
  return { values: Int32Array.from(values, (x) => binOf(x, range, bins)), classes: bins, categorical: false, range };
}

function classCount(labels: Int32Array): number {
  let max = 0;
  for (let i = 0; i < labels.length; i++) max = Math.max(max, labels[i]!);
  return max + 1;
}

/**
 * sklearn's `mutual_info_score(a, b)`: the plug-in mutual information of two
 * labelings of the same examples, in nats, Σ p(a,b) log(p(a,b) / (p(a) p(b))).
 */
export function mutualInformation(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) throw new RangeError(`mutualInformation: labelings of ${a.length} and ${b.length} examples`);
  checkPositiveInt('mutualInformation', 'examples', a.length);
  const na = classCount(a);
  const nb = classCount(b);
  const joint = new Float64Array(na * nb);
  const pa = new Float64Array(na);
  const pb = new Float64Array(nb);
  for (let i = 0; i < a.length; i++) {
    joint[a[i]! * nb + b[i]!]!++;
    pa[a[i]!]!++;
    pb[b[i]!]!++;
  }
  const n = a.length;
  let mi = 0;
  for (let x = 0; x < na; x++) {
    for (let y = 0; y < nb; y++) {
      const c = joint[x * nb + y]!;
      if (c > 0) mi += (c / n) * Math.log((c * n) / (pa[x]! * pb[y]!));
    }
  }
  // Rounding can leave a tiny negative value for independent labelings; sklearn clips the same way.
  return Math.max(0, mi);
}

/** Entropy in nats of a labeling (= mutualInformation(a, a)). */
export function discreteEntropy(a: Int32Array): number {
  return mutualInformation(a, a);
}

/** Top and second-largest of a list (the list has at least two entries). */
function topTwo(values: ArrayLike<number>): [number, number] {
  let first = -Infinity;
  let second = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > first) [first, second] = [v, first];
    else if (v > second) second = v;
  }
  return [first, second];
}

function checkCodesAndFactors(fn: string, codes: Floats, factors: ArrayLike<number>, n: number, latent: number, k: number): void {
  checkPositiveInt(fn, 'n', n);
  checkShape(fn, 'codes', codes, n, latent);
  checkShape(fn, 'factors', factors, n, k);
  if (latent < 2) throw new RangeError(`${fn}: a gap between the two best code dimensions needs latent ≥ 2, got ${latent}`);
}

export interface MigResult {
  /** Mean over factors of the normalised gap. */
  mig: number;
  /** (m[top,k] − m[second,k]) / H(v_k) per factor. */
  perFactor: number[];
  /** Mutual information I(z_j; v_k) in nats, latent × k row-major. */
  mutualInfo: Float64Array;
  /** H(v_k) in nats. */
  entropies: number[];
}

/** MIG of `codes` [n × latent] against `factors` [n × k], both row-major. */
export function mig(codes: Floats, factors: ArrayLike<number>, n: number, latent: number, k: number): MigResult {
  checkCodesAndFactors('mig', codes, factors, n, latent, k);
  const z = Array.from({ length: latent }, (_, j) => histogramDiscretize(column(codes, n, latent, j)));
  const v = Array.from({ length: k }, (_, f) => discretizeFactor(column(factors, n, k, f)).values);
  const mutualInfo = new Float64Array(latent * k);
  for (let j = 0; j < latent; j++) for (let f = 0; f < k; f++) mutualInfo[j * k + f] = mutualInformation(z[j]!, v[f]!);
  const entropies = v.map(discreteEntropy);
  const perFactor = entropies.map((h, f) => {
    if (!(h > 0)) throw new RangeError(`mig: factor ${f} takes one value over the ${n} examples, so it has no entropy to capture`);
    const [top, second] = topTwo(column(mutualInfo, latent, k, f));
    return (top - second) / h;
  });
  return { mig: mean(perFactor), perFactor, mutualInfo, entropies };
}

function mean(values: readonly number[]): number {
  return values.reduce((s, x) => s + x, 0) / values.length;
}

/** Entropy of the distribution proportional to `weights`, in base `base`; all-zero weights count as uniform. */
function normalisedEntropy(weights: readonly number[], base: number): number {
  const total = weights.reduce((s, w) => s + w, 0);
  if (!(total > 0)) return 1;
  let h = 0;
  for (const w of weights) if (w > 0) h -= (w / total) * Math.log(w / total);
  return h / Math.log(base);
}

export interface DciScores {
  disentanglement: number;
  completeness: number;
}

/**
 * D and C of an importance matrix R (latent × k, row-major, non-negative),
 * as dci.py's disentanglement() and completeness(): 1 − entropy of each row
 * (base k) weighted by the row's share of R, and 1 − entropy of each column
 * (base latent) weighted by the column's share. An all-zero R weighs rows
 * and columns equally.
 */
export function dciFromImportance(importance: ArrayLike<number>, latent: number, k: number): DciScores {
  checkShape('dciFromImportance', 'importance', importance, latent, k);
  if (latent < 2 || k < 2) throw new RangeError(`dciFromImportance: entropies in base latent and k need both ≥ 2, got ${latent}×${k}`);
  for (let i = 0; i < importance.length; i++) {
    if (!(importance[i]! >= 0)) throw new RangeError(`dciFromImportance: importances must be non-negative, got ${importance[i]}`);
  }
  const byCode = Array.from({ length: latent }, (_, j) => Array.from({ length: k }, (_, f) => importance[j * k + f]!));
  const byFactor = Array.from({ length: k }, (_, f) => Array.from(column(importance, latent, k, f)));
  return { disentanglement: weightedScore(byCode, k), completeness: weightedScore(byFactor, latent) };
}

/** Σ_i share_i (1 − H_base(groups_i)); equal shares when everything is zero. */
function weightedScore(groups: number[][], base: number): number {
  const sums = groups.map((g) => g.reduce((s, w) => s + w, 0));
  const total = sums.reduce((s, w) => s + w, 0);
  return groups.reduce((s, g, i) => s + (total > 0 ? sums[i]! / total : 1 / groups.length) * (1 - normalisedEntropy(g, base)), 0);
}

/** Rows [from, to) of a row-major array with `cols` columns. */
function rows<T extends Floats | Int32Array>(x: T, cols: number, from: number, to: number): T {
  return x.subarray(from * cols, to * cols) as T;
}

/** The factor columns as classes over all n rows, so that training and test rows share bin edges. */
function discreteFactors(factors: ArrayLike<number>, n: number, k: number): DiscreteFactor[] {
  return Array.from({ length: k }, (_, f) => discretizeFactor(column(factors, n, k, f)));
}

function checkSplit(fn: string, n: number, nTrain: number): void {
  if (!Number.isInteger(nTrain) || nTrain < 1 || nTrain >= n) throw new RangeError(`${fn}: nTrain must leave both parts non-empty (1 ≤ nTrain < ${n}), got ${nTrain}`);
}

function accuracy(predicted: Int32Array, truth: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  return correct / truth.length;
}

/** Squared correlation of two columns; 0 when `x` has (almost) no variance, as sap_score.py. */
function squaredCorrelation(x: Float64Array, y: Float64Array): number {
  const [mx, sx] = meanAndSd(x);
  const [my, sy] = meanAndSd(y);
  if (!(sx * sx > 1e-12) || !(sy > 0)) return 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) sxy += (x[i]! - mx) * (y[i]! - my);
  return (sxy / x.length) ** 2 / (sx * sx * sy * sy);
}

export interface SapResult {
  sap: number;
  /** Gap between the two best code dimensions, per factor. */
  perFactor: number[];
  /** S[j,k], latent × k row-major. */
  scores: Float64Array;
}

/**
 * SAP of `codes` against `factors` (n rows each): the first `nTrain` rows fit
 * the one-dimension classifiers of categorical factors and give the squared
 * correlations of continuous ones; the rest measure the classifiers' accuracy.
 */
export function sap(codes: Floats, factors: ArrayLike<number>, n: number, latent: number, k: number, nTrain: number): SapResult {
  checkCodesAndFactors('sap', codes, factors, n, latent, k);
  checkSplit('sap', n, nTrain);
  const discrete = discreteFactors(factors, n, k);
  const scores = new Float64Array(latent * k);
  for (let j = 0; j < latent; j++) {
    const z = column(codes, n, latent, j);
    for (let f = 0; f < k; f++) scores[j * k + f] = sapScore(z, column(factors, n, k, f), discrete[f]!, nTrain);
  }
  const perFactor = Array.from({ length: k }, (_, f) => {
    const [top, second] = topTwo(column(scores, latent, k, f));
    return top - second;
  });
  return { sap: mean(perFactor), perFactor, scores };
}

/** sap_score.py's classifier: LinearSVC(C=0.01, class_weight="balanced"). */
const SAP_SVC = { C: 0.01, balanced: true };

function sapScore(z: Float64Array, raw: Float64Array, factor: DiscreteFactor, nTrain: number): number {
  if (!factor.categorical) return squaredCorrelation(z.subarray(0, nTrain), raw.subarray(0, nTrain));
  const model = fitLinearSvc(z.subarray(0, nTrain), nTrain, 1, factor.values.subarray(0, nTrain), SAP_SVC);
  const testZ = z.subarray(nTrain);
  return accuracy(model.predict(testZ, testZ.length), factor.values.subarray(nTrain));
}

export interface DciResult extends DciScores {
  /** Mean test accuracy of the per-factor classifiers. */
  informativeness: number;
  /** Test accuracy per factor. */
  accuracy: number[];
  /** R[j,k], latent × k row-major; each column sums to 1 (or is all zero). */
  importance: Float64Array;
  /** 1 − H_L of each factor's column of R: how much one dimension alone holds it. */
  completenessPerFactor: number[];
}

function meanAndSd(values: Float64Array): [number, number] {
  let m = 0;
  for (const v of values) m += v / values.length;
  let sq = 0;
  for (const v of values) sq += (v - m) ** 2 / values.length;
  return [m, Math.sqrt(sq)];
}

/** A factor's predictor from the whole code: boosted trees, importances per code dimension, accuracy on held-out rows. */
function boostedPredictor(codes: Floats, factor: DiscreteFactor, nTrain: number, latent: number): { importance: Float64Array; predict: (x: Floats, n: number) => Int32Array } {
  const model = fitBoostedClassifier(rows(codes, latent, 0, nTrain), nTrain, latent, factor.values.subarray(0, nTrain));
  // dci.py takes |feature_importances_|: a split's variance decrease can round to just below 0.
  return { importance: model.importances.map(Math.abs), predict: (x, n) => model.predict(x, n) };
}

/**
 * DCI of `codes` against `factors` (n rows each): per factor, boosted trees
 * fitted on the first `nTrain` rows to its classes (continuous factors
 * binned), accuracy on the rest, as dci.py's compute_importance_gbt.
 */
export function dci(codes: Floats, factors: ArrayLike<number>, n: number, latent: number, k: number, nTrain: number): DciResult {
  checkCodesAndFactors('dci', codes, factors, n, latent, k);
  checkSplit('dci', n, nTrain);
  if (k < 2) throw new RangeError(`dci: disentanglement's entropy in base k needs k ≥ 2 factors, got ${k}`);
  const importance = new Float64Array(latent * k);
  const acc = discreteFactors(factors, n, k).map((factor, f) => {
    const predictor = boostedPredictor(codes, factor, nTrain, latent);
    for (let j = 0; j < latent; j++) importance[j * k + f] = predictor.importance[j]!;
    return accuracy(predictor.predict(rows(codes, latent, nTrain, n), n - nTrain), factor.values.subarray(nTrain));
  });
  const completenessPerFactor = Array.from({ length: k }, (_, f) => 1 - normalisedEntropy(Array.from(column(importance, latent, k, f)), latent));
  return { ...dciFromImportance(importance, latent, k), informativeness: mean(acc), accuracy: acc, importance, completenessPerFactor };
}

/** At most this many examples enter {@link disentanglementScores}: disentanglement_lib's training size, and a few seconds of work. */
export const DISENTANGLEMENT_MAX_EXAMPLES = 10_000;
/** Fewer examples than this give no meaningful scores (and may leave a factor constant). */
export const DISENTANGLEMENT_MIN_EXAMPLES = 10;

export interface DisentanglementScores {
  /** Examples used: the first min(n, maxExamples). */
  examples: number;
  /** Of which the first `train` fit the predictors of SAP and DCI; the rest test them. */
  train: number;
  mig: MigResult;
  sap: SapResult;
  dci: DciResult;
}

/**
 * MIG, SAP and DCI of the first min(n, maxExamples) rows: MIG over all of
 * them, SAP and DCI with the first two thirds as training part (the
 * 10,000 / 5,000 proportion of disentanglement_lib).
 */
export function disentanglementScores(codes: Floats, factors: ArrayLike<number>, n: number, latent: number, k: number, maxExamples = DISENTANGLEMENT_MAX_EXAMPLES): DisentanglementScores {
  checkShape('disentanglementScores', 'codes', codes, n, latent);
  checkShape('disentanglementScores', 'factors', factors, n, k);
  checkPositiveInt('disentanglementScores', 'maxExamples', maxExamples);
  const m = Math.min(n, maxExamples);
  if (m < DISENTANGLEMENT_MIN_EXAMPLES) throw new RangeError(`disentanglementScores: needs at least ${DISENTANGLEMENT_MIN_EXAMPLES} examples, got ${m}`);
  const z = rows(codes, latent, 0, m);
  const v = Float64Array.from({ length: m * k }, (_, i) => factors[i]!);
  const train = Math.round((2 * m) / 3);
  return { examples: m, train, mig: mig(z, v, m, latent, k), sap: sap(z, v, m, latent, k, train), dci: dci(z, v, m, latent, k, train) };
}
