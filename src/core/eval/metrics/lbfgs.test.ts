import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './lbfgs.js';

const options = { maxIterations: 200, gradientTolerance: 1e-10, relativeTolerance: 0, history: 5 };

describe('minimizeLbfgs', () => {
  it('finds the minimum of an ill-conditioned quadratic ½xᵀAx − bᵀx, i.e. A⁻¹b', () => {
    // A = diag(1, 10, 100) plus a coupling between the first two coordinates.
    const A = [
      [2, 1, 0],
      [1, 10, 0],
      [0, 0, 100],
    ];
    const b = [1, 2, 3];
    const fit = minimizeLbfgs((x, g) => {
      let f = 0;
      for (let i = 0; i < 3; i++) {
        g[i] = A[i]!.reduce((s, a, j) => s + a * x[j]!, 0) - b[i]!;
        f += 0.5 * x[i]! * (g[i]! - b[i]!);
      }
      return f;
    }, 3, options);
    // A⁻¹b by hand: the 2×2 block [[2,1],[1,10]] has determinant 19. The line
    // search compares objective values, so parameters are exact to ~√ε only.
    expect(fit.params[0]).toBeCloseTo((10 * 1 - 1 * 2) / 19, 7);
    expect(fit.params[1]).toBeCloseTo((2 * 2 - 1 * 1) / 19, 7);
    expect(fit.params[2]).toBeCloseTo(0.03, 7);
    expect(fit.converged).toBe(true);
  });

  it('minimises a smooth non-quadratic convex function', () => {
    // f(x) = Σ log(cosh(x_i − i)) + ½·0.01‖x‖², minimum near x_i = i.
    const fit = minimizeLbfgs((x, g) => {
      let f = 0;
      for (let i = 0; i < x.length; i++) {
        f += Math.log(Math.cosh(x[i]! - i)) + 0.005 * x[i]! ** 2;
        g[i] = Math.tanh(x[i]! - i) + 0.01 * x[i]!;
      }
      return f;
    }, 4, options);
    for (let i = 0; i < 4; i++) expect(Math.tanh(fit.params[i]! - i) + 0.01 * fit.params[i]!).toBeCloseTo(0, 8);
  });
});
