/**
 * Gradient-boosted trees for classification, as scikit-learn's
 * GradientBoostingClassifier with its defaults (100 stages, learning rate
 * 0.1, depth-3 regression trees split by Friedman's MSE, log-loss, every
 * sample and every feature): the predictor disentanglement_lib's DCI fits
 * per factor, whose impurity-based feature importances are DCI's matrix R.
 *
 * Followed from scikit-learn 1.2: the initial raw score is the log of the
 * class priors (clipped to float32 eps), or their log-odds with two classes;
 * each stage fits one tree per class (one with two classes) to the negative
 * gradient y_k − p_k, computed from the scores before the stage; a leaf's
 * value is one Newton step, (K − 1)/K · Σ r / Σ p(1 − p) (Σ r / Σ p(1 − p)
 * with two classes). Splits maximise n_l·n_r·(mean_l − mean_r)² over
 * thresholds halfway between consecutive distinct values (more than 1e-7
 * apart); a sample goes left when x ≤ threshold. Importances sum each split's
 * weighted decrease of the node variance over all trees, normalised to 1.
 *
 * Trees grow a level at a time from one presorted order per feature, so a
 * level costs one pass over the samples per feature whatever its node count.
 * Features are scanned in index order (scikit-learn scans them in a random
 * order), which matters only when two features give exactly equal gains.
 */
import { checkPositiveInt, checkShape, type Floats } from './shape.js';

export interface BoostingOptions {
  /** Boosting stages; default 100. */
  stages?: number;
  /** Shrinkage of each tree's values; default 0.1. */
  learningRate?: number;
  /** Depth of each tree; default 3. */
  maxDepth?: number;
}

/** A fitted classifier: predicted labels and per-feature importances. */
export interface BoostedClassifier {
  /** The training labels' distinct values, ascending: the classes predictions come from. */
  classes: Int32Array;
  /** Per feature, summing to 1 (all zero when no tree split). */
  importances: Float64Array;
  predict(x: Floats, n: number): Int32Array;
}

/** Split nodes hold feature ≥ 0 and children; leaves hold feature −1 and a value. */
interface Tree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

/** float32 eps: the priors are clipped to [eps, 1 − eps] before their log. */
const PRIOR_EPS = 2 ** -23;
/** Values closer than this are not split between (scikit-learn's FEATURE_THRESHOLD). */
const FEATURE_THRESHOLD = 1e-7;
/** A node whose variance is at most this is a leaf (float64 eps). */
const IMPURITY_EPS = 2 ** -52;

/** Fit the classifier to n rows of x (n × d) and their integer labels. */
export function fitBoostedClassifier(x: Floats, n: number, d: number, labels: ArrayLike<number>, options: BoostingOptions = {}): BoostedClassifier {
  checkPositiveInt('fitBoostedClassifier', 'n', n);
  checkShape('fitBoostedClassifier', 'x', x, n, d);
  if (labels.length !== n) throw new RangeError(`fitBoostedClassifier: ${labels.length} labels for ${n} rows`);
  const stages = options.stages ?? 100;
  const learningRate = options.learningRate ?? 0.1;
  const maxDepth = options.maxDepth ?? 3;
  const classes = Int32Array.from(new Set(Array.from(labels, Number))).sort();
  const y = Int32Array.from(labels, (v) => classes.indexOf(v));
  const importances = new Float64Array(d);
  if (classes.length === 1) return { classes, importances, predict: (_, rows) => new Int32Array(rows).fill(classes[0]!) };
  const columns = presort(x, n, d);
  const trees = classes.length === 2 ? fitBinary(columns, y, n, stages, learningRate, maxDepth, importances) : fitMultinomial(columns, y, n, classes.length, stages, learningRate, maxDepth, importances);
  const total = importances.reduce((s, v) => s + v, 0);
  if (total > 0) for (let j = 0; j < d; j++) importances[j]! /= total;
  return { classes, importances, predict: (data, rows) => predictClasses(trees.init, trees.stages, learningRate, data, rows, d, classes) };
}

/** Each feature's values and the samples in ascending order of them (ties by index). */
interface Columns {
  d: number;
  values: Float64Array[];
  order: Int32Array[];
}

function presort(x: Floats, n: number, d: number): Columns {
  const values = Array.from({ length: d }, (_, j) => Float64Array.from({ length: n }, (_, i) => Math.fround(x[i * d + j]!)));
  const order = values.map((v) => Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]! || a - b));
  return { d, values, order };
}

/** Initial scores and the trees of every stage (one per class, or one in all with two classes). */
interface Ensemble {
  init: Float64Array;
  stages: Tree[][];
}

function fitMultinomial(columns: Columns, y: Int32Array, n: number, k: number, stages: number, rate: number, depth: number, importances: Float64Array): Ensemble {
  const prior = new Float64Array(k);
  for (let i = 0; i < n; i++) prior[y[i]!]! += 1 / n;
  const init = prior.map((p) => Math.log(Math.min(1 - PRIOR_EPS, Math.max(PRIOR_EPS, p))));
  const raw = new Float64Array(n * k); // [n, k] scores
  for (let i = 0; i < n; i++) raw.set(init, i * k);
  const fitted: Tree[][] = [];
  const p = new Float64Array(n * k);
  const residual = new Float64Array(n);
  for (let s = 0; s < stages; s++) {
    softmaxRows(raw, n, k, p);
    const stage: Tree[] = [];
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < n; i++) residual[i] = (y[i] === c ? 1 : 0) - p[i * k + c]!;
      const { tree, leafOf } = growTree(columns, residual, n, depth, importances);
      newtonLeaves(tree, leafOf, residual, (i) => p[i * k + c]!, (k - 1) / k);
      for (let i = 0; i < n; i++) raw[i * k + c]! += rate * tree.value[leafOf[i]!]!;
      stage.push(tree);
    }
    fitted.push(stage);
  }
  return { init, stages: fitted };
}

function fitBinary(columns: Columns, y: Int32Array, n: number, stages: number, rate: number, depth: number, importances: Float64Array): Ensemble {
  let positive = 0;
  for (let i = 0; i < n; i++) positive += y[i]!;
  const prior = Math.min(1 - PRIOR_EPS, Math.max(PRIOR_EPS, positive / n));
  const init = Float64Array.of(Math.log(prior / (1 - prior)));
  const raw = new Float64Array(n).fill(init[0]!);
  const fitted: Tree[][] = [];
  const p = new Float64Array(n);
  const residual = new Float64Array(n);
  for (let s = 0; s < stages; s++) {
    for (let i = 0; i < n; i++) {
      p[i] = 1 / (1 + Math.exp(-raw[i]!));
      residual[i] = y[i]! - p[i]!;
    }
    const { tree, leafOf } = growTree(columns, residual, n, depth, importances);
    newtonLeaves(tree, leafOf, residual, (i) => p[i]!, 1);
    for (let i = 0; i < n; i++) raw[i]! += rate * tree.value[leafOf[i]!]!;
    fitted.push([tree]);
  }
  return { init, stages: fitted };
}

function softmaxRows(raw: Float64Array, n: number, k: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let top = -Infinity;
    for (let c = 0; c < k; c++) top = Math.max(top, raw[i * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += out[i * k + c] = Math.exp(raw[i * k + c]! - top);
    for (let c = 0; c < k; c++) out[i * k + c]! /= sum;
  }
}

/** Leaf values: factor · Σ r / Σ p(1 − p) over each leaf's samples (0 when the denominator vanishes). */
function newtonLeaves(tree: Tree, leafOf: Int32Array, residual: Float64Array, prob: (i: number) => number, factor: number): void {
  const nodes = tree.value.length;
  const numerator = new Float64Array(nodes);
  const denominator = new Float64Array(nodes);
  for (let i = 0; i < leafOf.length; i++) {
    const p = prob(i);
    numerator[leafOf[i]!]! += residual[i]!;
    denominator[leafOf[i]!]! += p * (1 - p);
  }
  for (let node = 0; node < nodes; node++) {
    if (tree.feature[node]! >= 0) continue;
    tree.value[node] = Math.abs(denominator[node]!) < 1e-150 ? 0 : (factor * numerator[node]!) / denominator[node]!;
  }
}

/** Running sums of a node's targets. */
interface NodeStats {
  count: number;
  sum: number;
  squares: number;
}

const variance = (s: NodeStats) => s.squares - (s.sum * s.sum) / s.count; // count × variance

/**
 * A regression tree of depth ≤ `depth` fitted to `target`, grown a level at
 * a time; adds each split's decrease of count × variance to `importances`.
 * Returns the tree (leaf values left at 0) and the leaf of every sample.
 */
function growTree(columns: Columns, target: Float64Array, n: number, depth: number, importances: Float64Array): { tree: Tree; leafOf: Int32Array } {
  const nodeOf = new Int32Array(n);
  const stats: NodeStats[] = [{ count: n, sum: 0, squares: 0 }];
  for (let i = 0; i < n; i++) {
    stats[0]!.sum += target[i]!;
    stats[0]!.squares += target[i]! * target[i]!;
  }
  const split: Array<{ feature: number; threshold: number; left: number; right: number } | null> = [null];
  let level = [0];
  for (let l = 0; l < depth && level.length > 0; l++) {
    const open = level.filter((node) => stats[node]!.count >= 2 && variance(stats[node]!) / stats[node]!.count > IMPURITY_EPS);
    const best = bestSplits(columns, target, nodeOf, open, stats);
    const next: number[] = [];
    for (const node of open) {
      const b = best.get(node);
      if (!b) continue;
      const [left, right] = [stats.length, stats.length + 1];
      stats.push({ count: 0, sum: 0, squares: 0 }, { count: 0, sum: 0, squares: 0 });
      split.push(null, null);
      split[node] = { feature: b.feature, threshold: b.threshold, left, right };
      next.push(left, right);
    }
    for (let i = 0; i < n; i++) {
      const s = split[nodeOf[i]!];
      if (!s) continue;
      const child = columns.values[s.feature]![i]! <= s.threshold ? s.left : s.right;
      nodeOf[i] = child;
      const t = target[i]!;
      stats[child]!.count++;
      stats[child]!.sum += t;
      stats[child]!.squares += t * t;
    }
    for (const node of open) {
      const s = split[node];
      if (s) importances[s.feature]! += variance(stats[node]!) - variance(stats[s.left]!) - variance(stats[s.right]!);
    }
    level = next;
  }
  const tree: Tree = {
    feature: Int32Array.from(split, (s) => (s ? s.feature : -1)),
    threshold: Float64Array.from(split, (s) => (s ? s.threshold : 0)),
    left: Int32Array.from(split, (s) => (s ? s.left : -1)),
    right: Int32Array.from(split, (s) => (s ? s.right : -1)),
    value: new Float64Array(split.length),
  };
  return { tree, leafOf: nodeOf };
}

/**
 * The best split of every open node: for each feature one pass over its
 * sorted samples, each node accumulating its own left part, scoring
 * Friedman's (n_r·S_l − n_l·S_r)² / (n_l·n_r) at every boundary between
 * distinct values.
 */
function bestSplits(columns: Columns, target: Float64Array, nodeOf: Int32Array, open: number[], stats: NodeStats[]): Map<number, { feature: number; threshold: number; gain: number }> {
  const best = new Map<number, { feature: number; threshold: number; gain: number }>();
  const slot = new Int32Array(stats.length).fill(-1);
  open.forEach((node, at) => (slot[node] = at));
  const count = new Float64Array(open.length);
  const sum = new Float64Array(open.length);
  const last = new Float64Array(open.length);
  for (let f = 0; f < columns.d; f++) {
    const values = columns.values[f]!;
    count.fill(0);
    sum.fill(0);
    for (const i of columns.order[f]!) {
      const at = slot[nodeOf[i]!]!;
      if (at < 0) continue;
      const node = open[at]!;
      const x = values[i]!;
      if (count[at]! > 0 && x > last[at]! + FEATURE_THRESHOLD) {
        const nl = count[at]!;
        const nr = stats[node]!.count - nl;
        const diff = nr * sum[at]! - nl * (stats[node]!.sum - sum[at]!);
        const gain = (diff * diff) / (nl * nr);
        if (gain > (best.get(node)?.gain ?? -Infinity)) {
          const threshold = last[at]! / 2 + x / 2;
          best.set(node, { feature: f, threshold: threshold === x ? last[at]! : threshold, gain });
        }
      }
      count[at]!++;
      sum[at]! += target[i]!;
      last[at] = x;
    }
  }
  return best;
}

/** The leaf value a row reaches. */
function treeValue(tree: Tree, row: Floats, offset: number): number {
  let node = 0;
  while (tree.feature[node]! >= 0) node = Math.fround(row[offset + tree.feature[node]!]!) <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  return tree.value[node]!;
}

function predictClasses(init: Float64Array, stages: Tree[][], rate: number, x: Floats, n: number, d: number, classes: Int32Array): Int32Array {
  checkShape('BoostedClassifier.predict', 'x', x, n, d);
  const k = init.length;
  const out = new Int32Array(n);
  const raw = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    raw.set(init);
    for (const stage of stages) stage.forEach((tree, c) => (raw[c]! += rate * treeValue(tree, x, i * d)));
    // Two classes keep one score, the log-odds of the second.
    let pick = 0;
    if (k === 1) pick = raw[0]! > 0 ? 1 : 0;
    else for (let c = 1; c < k; c++) if (raw[c]! > raw[pick]!) pick = c;
    out[i] = classes[pick]!;
  }
  return out;
}
