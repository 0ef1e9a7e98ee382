/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, Alg. 7.4/7.5)
 * for small smooth convex problems such as the softmax probe: deterministic,
 * starting from zero, with a backtracking line search.
 */

/** Objective value at `params`; writes the gradient into `grad`. */
export type Objective = (params: Float64Array, grad: Float64Array) => number;

/** Stopping rules and memory of {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  maxIterations: number;
  /** Stop when the largest gradient entry is below this. */
  gradientTolerance: number;
  /** Stop when an iteration lowers the objective by less than this fraction. */
  relativeTolerance: number;
  /** Number of curvature pairs kept. */
  history: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** y += a·x */
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Limited-memory BFGS curvature pairs (s = Δparams, y = Δgradient). */
class LbfgsHistory {
  private readonly s: Float64Array[] = [];
  private readonly y: Float64Array[] = [];
  private readonly rho: number[] = [];

  constructor(private readonly size: number) {}

  get length(): number {
    return this.s.length;
  }

  /** Keep the pair only if sᵀy > 0, so the implied inverse Hessian stays positive definite. */
  push(s: Float64Array, y: Float64Array): void {
    const sy = dot(s, y);
    if (!(sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y)))) return;
    if (this.s.length === this.size) {
      this.s.shift();
      this.y.shift();
      this.rho.shift();
    }
    this.s.push(s);
    this.y.push(y);
    this.rho.push(1 / sy);
  }

  clear(): void {
    this.s.length = 0;
    this.y.length = 0;
    this.rho.length = 0;
  }

  /** Search direction −H·g by the two-loop recursion, scaled by sᵀy/yᵀy of the newest pair. */
  direction(g: Float64Array): Float64Array {
    const q = Float64Array.from(g);
    const alpha = new Array<number>(this.s.length);
    for (let m = this.s.length - 1; m >= 0; m--) {
      alpha[m] = this.rho[m]! * dot(this.s[m]!, q);
      axpy(-alpha[m]!, this.y[m]!, q);
    }
    const last = this.s.length - 1;
    const gamma = last >= 0 ? 1 / (this.rho[last]! * dot(this.y[last]!, this.y[last]!)) : 1;
    for (let i = 0; i < q.length; i++) q[i]! *= gamma;
    for (let m = 0; m < this.s.length; m++) {
      const beta = this.rho[m]! * dot(this.y[m]!, q);
      axpy(alpha[m]! - beta, this.s[m]!, q);
    }
    for (let i = 0; i < q.length; i++) q[i] = -q[i]!;
    return q;
  }
}

/** Result of {@link minimizeLbfgs}. */
export interface Minimum {
  params: Float64Array;
  loss: number;
  iterations: number;
  converged: boolean;
}

/**
 * Minimise a smooth convex objective of `size` parameters from zero with
 * L-BFGS and a backtracking (Armijo) line search. For a strictly convex
 * objective (e.g. one with an L2 penalty) curvature pairs are positive and the
 * unit step is usually accepted. A line search that cannot lower the
 * objective any more counts as convergence (the minimum is reached to
 * rounding).
 */
export function minimizeLbfgs(objective: Objective, size: number, options: LbfgsOptions): Minimum {
  let params = new Float64Array(size);
  let grad = new Float64Array(size);
  let loss = objective(params, grad);
  const history = new LbfgsHistory(options.history);
  for (let iter = 0; iter < options.maxIterations; iter++) {
    if (maxAbs(grad) < options.gradientTolerance) return { params, loss, iterations: iter, converged: true };
    let direction = history.direction(grad);
    let slope = dot(grad, direction);
    if (!(slope < 0)) {
      history.clear();
      direction = history.direction(grad);
      slope = dot(grad, direction);
    }
    // Without curvature information the gradient's scale is arbitrary: start at a unit-length step.
    let step = history.length === 0 ? 1 / Math.sqrt(dot(grad, grad)) : 1;
    const next = new Float64Array(size);
    const nextGrad = new Float64Array(size);
    let nextLoss = Infinity;
    for (let tries = 0; tries < 50; tries++, step *= 0.5) {
      for (let i = 0; i < size; i++) next[i] = params[i]! + step * direction[i]!;
      nextLoss = objective(next, nextGrad);
      if (nextLoss <= loss + 1e-4 * step * slope) break;
    }
    if (!(nextLoss < loss)) return { params, loss, iterations: iter, converged: true }; // no further progress possible
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = next[i]! - params[i]!;
      y[i] = nextGrad[i]! - grad[i]!;
    }
    history.push(s, y);
    const improvement = (loss - nextLoss) / Math.max(1, Math.abs(loss));
    params = next;
    grad = nextGrad;
    loss = nextLoss;
    if (improvement < options.relativeTolerance) return { params, loss, iterations: iter + 1, converged: true };
  }
  return { params, loss, iterations: options.maxIterations, converged: maxAbs(grad) < options.gradientTolerance };
}

