/**
 * Active latent units (Burda, Grosse & Salakhutdinov 2016, "Importance
 * Weighted Autoencoders", §5.2): a latent dimension u is active when
 * A_u = Cov_x(E_{q(z|x)}[z_u]) > 0.01, i.e. when the posterior mean of z_u
 * actually varies across inputs. Inactive units have collapsed to the prior.
 */
import { checkPositiveInt, checkShape, type Floats } from './shape.js';

/** Result of {@link activeUnits}. */
export interface ActiveUnits {
  /** Number of active dimensions. */
  count: number;
  /** A_u for each dimension: population variance of the posterior means. */
  variances: Float64Array;
  /** Whether each dimension is active (A_u > threshold). */
  active: boolean[];
}

/**
 * Count active units from the posterior means of `n` examples (`means` is
 * n × dim, row-major). The variance is over the n examples, dividing by n,
 * and computed in two passes (mean first) so that large offsets do not
 * cancel away small variances.
 */
export function activeUnits(means: Floats, n: number, dim: number, threshold = 0.01): ActiveUnits {
  checkPositiveInt('activeUnits', 'n', n);
  checkShape('activeUnits', 'means', means, n, dim);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < dim; u++) mean[u]! += means[i * dim + u]!;
  }
  for (let u = 0; u < dim; u++) mean[u]! /= n;
  const variances = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < dim; u++) {
      const d = means[i * dim + u]! - mean[u]!;
      variances[u]! += d * d;
    }
  }
  const active: boolean[] = [];
  let count = 0;
  for (let u = 0; u < dim; u++) {
    variances[u]! /= n;
    active.push(variances[u]! > threshold);
    if (active[u]) count++;
  }
  return { count, variances, active };
}
