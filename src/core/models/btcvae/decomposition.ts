/**
 * The KL term of the ELBO split three ways (Chen et al. 2018), estimated on a
 * minibatch of M codes from a training set of N examples:
 *   index-code MI   E[log q(z|x) − log q(z)]
 *   total corr.     E[log q(z) − Σ_d log q(z_d)]
 *   dimension KL    E[Σ_d log q(z_d) − log p(z)]
 * with log q(z_i) ≈ logsumexp_j (log w_ij + log q(z_i|x_j)), and the same per
 * dimension for log q(z_i,d). The three add up to E[log q(z|x) − log p(z)].
 *
 * The weights w_ij are the estimator's:
 * - `mws`, minibatch-weighted sampling: w_ij = 1/(N·M) for every pair. Its
 *   weights sum to 1/N rather than 1, so log q(z) reads low and the MI is
 *   capped at log(N·M), a large bias at small M.
 * - `mss`, minibatch stratified sampling: with M' = M − 1, w_ii = 1/N (the
 *   example's own term of q(z) = (1/N) Σ_n q(z|x_n)), one stratum partner
 *   j = i+1 (mod M) gets (N − M')/(N·M'), the other M − 2 get 1/M'; each row
 *   sums to 1. This is the reference implementation's matrix (rtqichen/beta-tcvae)
 *   with its slip fixed: there the last row gets no partner and row M − 2 two.
 * With M = 1 both reduce to w = 1/N on the example's own term.
 */
import * as tf from '@tensorflow/tfjs-core';

export const TC_ESTIMATORS = ['mws', 'mss'] as const;
export type TcEstimator = (typeof TC_ESTIMATORS)[number];

export interface KlParts {
  mi: tf.Scalar;
  tc: tf.Scalar;
  dimKl: tf.Scalar;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** log w_ij of the estimator for a batch of M from N examples, row-major [M, M] (i: the code, j: the density). */
export function logImportanceWeights(estimator: TcEstimator, m: number, datasetSize: number): Float32Array {
  if (m > datasetSize) throw new RangeError(`klDecomposition: a batch of ${m} from a training set of ${datasetSize}`);
  const logW = new Float32Array(m * m);
  if (estimator === 'mws' || m === 1) return logW.fill(-Math.log(datasetSize * m));
  const rest = m - 1;
  logW.fill(-Math.log(rest));
  const partner = Math.log((datasetSize - rest) / (datasetSize * rest));
  for (let i = 0; i < m; i++) {
    logW[i * m + i] = -Math.log(datasetSize);
    logW[i * m + ((i + 1) % m)] = partner;
  }
  return logW;
}

/** Samples z [M, L] drawn from q(z|x_i) = N(μ_i, σ_i²) for each row i of the batch; N examples in all. */
export function klDecomposition(z: tf.Tensor2D, mu: tf.Tensor2D, logVar: tf.Tensor2D, datasetSize: number, estimator: TcEstimator = 'mws'): KlParts {
  return tf.tidy(() => {
    const [m] = z.shape;
    // log N(z_i,d; μ_j,d, σ_j,d²) for every pair: [M (i), M (j), L]
    const diff = tf.sub(tf.expandDims(z, 1), tf.expandDims(mu, 0));
    const lv = tf.expandDims(logVar, 0);
    const pairs = tf.mul(-0.5, tf.add(tf.add(tf.div(tf.square(diff), tf.exp(lv)), lv), LOG_2PI));
    const logW = tf.tensor2d(logImportanceWeights(estimator, m, datasetSize), [m, m]);
    const logQzGivenX = tf.sum(tf.mul(-0.5, tf.add(tf.add(tf.div(tf.square(tf.sub(z, mu)), tf.exp(logVar)), logVar), LOG_2PI)), 1); // [M]
    const logQz = tf.logSumExp(tf.add(tf.sum(pairs, 2), logW), 1); // [M]
    const logQzProduct = tf.sum(tf.logSumExp(tf.add(pairs, tf.expandDims(logW, 2)), 1), 1); // [M]
    const logPz = tf.sum(tf.mul(-0.5, tf.add(tf.square(z), LOG_2PI)), 1); // [M]
    return {
      mi: tf.mean(tf.sub(logQzGivenX, logQz)) as tf.Scalar,
      tc: tf.mean(tf.sub(logQz, logQzProduct)) as tf.Scalar,
      dimKl: tf.mean(tf.sub(logQzProduct, logPz)) as tf.Scalar,
    };
  });
}
