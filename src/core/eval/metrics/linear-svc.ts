/**
 * A linear support vector classifier as scikit-learn's LinearSVC (liblinear):
 * squared hinge loss, L2 penalty on the weights and on the intercept (an
 * extra feature of 1, liblinear's bias), one-vs-rest for more than two
 * classes, optional "balanced" class weights n / (K · n_c). This is SAP's
 * one-dimension classifier in disentanglement_lib (C = 0.01, balanced).
 *
 * liblinear's cost of a sample, followed: with two classes the first
 * (smallest) class is one side and each sample costs C times its class's
 * weight; one-vs-rest, the class's own samples cost C times its weight and
 * every other sample costs C. The primal
 *
 *   ½‖θ‖² + Σᵢ cᵢ · max(0, 1 − yᵢ θ·x̃ᵢ)²,   x̃ = (x, 1),
 *
 * is strictly convex, so its minimiser is unique whatever the solver; here it
 * is found by Newton's method on the generalised Hessian with backtracking
 * (liblinear's dual coordinate descent stops at a tolerance of 1e-4 near it).
 */
import { Matrix, solve } from 'ml-matrix';
import { checkPositiveInt, checkShape, type Floats } from './shape.js';

export interface LinearSvcOptions {
  /** Inverse regularisation strength; default 1. */
  C?: number;
  /** Weigh each class by n / (K · n_c); default false. */
  balanced?: boolean;
}

export interface LinearSvc {
  /** The training labels' distinct values, ascending. */
  classes: Int32Array;
  /** One row (d weights, then the intercept) per one-vs-rest problem, one row in all with two classes. */
  coefficients: Float64Array[];
  predict(x: Floats, n: number): Int32Array;
}

/** Fit to n rows of x (n × d) and their integer labels. */
export function fitLinearSvc(x: Floats, n: number, d: number, labels: ArrayLike<number>, options: LinearSvcOptions = {}): LinearSvc {
  checkPositiveInt('fitLinearSvc', 'n', n);
  checkShape('fitLinearSvc', 'x', x, n, d);
  if (labels.length !== n) throw new RangeError(`fitLinearSvc: ${labels.length} labels for ${n} rows`);
  const C = options.C ?? 1;
  if (!(C > 0)) throw new RangeError(`fitLinearSvc: C must be positive, got ${C}`);
  const classes = Int32Array.from(new Set(Array.from(labels, Number))).sort();
  const k = classes.length;
  const y = Int32Array.from(labels, (v) => classes.indexOf(v));
  if (k === 1) return { classes, coefficients: [], predict: (_, rows) => new Int32Array(rows).fill(classes[0]!) };
  const counts = new Float64Array(k);
  for (const c of y) counts[c]!++;
  const weight = Float64Array.from(counts, (m) => (options.balanced ? n / (k * m) : 1));
  const problems =
    k === 2
      ? [{ positive: 1, cost: (c: number) => C * weight[c]! }]
      : Array.from({ length: k }, (_, p) => ({ positive: p, cost: (c: number) => (c === p ? C * weight[c]! : C) }));
  const coefficients = problems.map(({ positive, cost }) => minimiseSquaredHinge(x, n, d, Float64Array.from(y, (c) => (c === positive ? 1 : -1)), Float64Array.from(y, cost)));
  const predict = (data: Floats, rows: number): Int32Array => {
    checkShape('LinearSvc.predict', 'x', data, rows, d);
    return Int32Array.from({ length: rows }, (_, i) => {
      const scores = coefficients.map((theta) => decision(theta, data, i * d, d));
      if (k === 2) return classes[scores[0]! > 0 ? 1 : 0]!;
      let best = 0;
      for (let c = 1; c < k; c++) if (scores[c]! > scores[best]!) best = c;
      return classes[best]!;
    });
  };
  return { classes, coefficients, predict };
}

/** θ·(x, 1) for the row at `offset`. */
function decision(theta: Float64Array, x: Floats, offset: number, d: number): number {
  let s = theta[d]!;
  for (let j = 0; j < d; j++) s += theta[j]! * x[offset + j]!;
  return s;
}

/** The primal objective, its gradient and generalised Hessian at θ. */
function objective(theta: Float64Array, x: Floats, n: number, d: number, y: Float64Array, cost: Float64Array, withDerivatives: boolean): { value: number; gradient?: Float64Array; hessian?: Matrix } {
  const p = d + 1;
  let value = 0;
  for (const t of theta) value += (t * t) / 2;
  const gradient = withDerivatives ? Float64Array.from(theta) : undefined;
  const hessian = withDerivatives ? Matrix.eye(p, p) : undefined;
  const row = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const margin = 1 - y[i]! * decision(theta, x, i * d, d);
    if (margin <= 0) continue;
    value += cost[i]! * margin * margin;
    if (!gradient || !hessian) continue;
    for (let j = 0; j < d; j++) row[j] = x[i * d + j]!;
    row[d] = 1;
    for (let a = 0; a < p; a++) {
      gradient[a]! -= 2 * cost[i]! * y[i]! * margin * row[a]!;
      for (let b = 0; b < p; b++) hessian.set(a, b, hessian.get(a, b) + 2 * cost[i]! * row[a]! * row[b]!);
    }
  }
  return { value, gradient, hessian };
}

/** Newton's method with backtracking from θ = 0 until the gradient vanishes (to 1e-12 relative). */
function minimiseSquaredHinge(x: Floats, n: number, d: number, y: Float64Array, cost: Float64Array): Float64Array {
  let theta = new Float64Array(d + 1);
  const start = objective(theta, x, n, d, y, cost, true);
  const scale = Math.hypot(...start.gradient!) || 1;
  for (let iteration = 0; iteration < 100; iteration++) {
    const { value, gradient, hessian } = objective(theta, x, n, d, y, cost, true);
    if (Math.hypot(...gradient!) <= 1e-12 * scale) break;
    const step = solve(hessian!, Matrix.columnVector(Array.from(gradient!))).getColumn(0);
    const slope = step.reduce((s, v, j) => s + v * gradient![j]!, 0);
    let t = 1;
    let next = theta.map((v, j) => v - t * step[j]!);
    while (objective(next, x, n, d, y, cost, false).value > value - 1e-4 * t * slope && t > 1e-10) {
      t /= 2;
      next = theta.map((v, j) => v - t * step[j]!);
    }
    theta = next;
  }
  return theta;
}
