/**
 * The KL term of the ELBO split three ways (Chen et al. 2018), estimated on a
 * minibatch by minibatch-weighted sampling:
 *   index-code MI   E[log q(z|x) − log q(z)]
 *   total corr.     E[log q(z) − Σ_d log q(z_d)]
 *   dimension KL    E[Σ_d log q(z_d) − log p(z)]
 * with log q(z_i) ≈ logsumexp_j log q(z_i|x_j) − log(N·M), and the same per
 * dimension for log q(z_i,d). The three add up to E[log q(z|x) − log p(z)].
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KlParts {
  mi: tf.Scalar;
  tc: tf.Scalar;
  dimKl: tf.Scalar;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Samples z [M, L] drawn from q(z|x_i) = N(μ_i, σ_i²) for each row i of the batch; N examples in all. */
export function klDecomposition(z: tf.Tensor2D, mu: tf.Tensor2D, logVar: tf.Tensor2D, datasetSize: number): KlParts {
  return tf.tidy(() => {
    const [m] = z.shape;
    // log N(z_i,d; μ_j,d, σ_j,d²) for every pair: [M (i), M (j), L]
    const diff = tf.sub(tf.expandDims(z, 1), tf.expandDims(mu, 0));
    const lv = tf.expandDims(logVar, 0);
    const pairs = tf.mul(-0.5, tf.add(tf.add(tf.div(tf.square(diff), tf.exp(lv)), lv), LOG_2PI));
    const logNM = Math.log(datasetSize * m);
    const logQzGivenX = tf.sum(tf.mul(-0.5, tf.add(tf.add(tf.div(tf.square(tf.sub(z, mu)), tf.exp(logVar)), logVar), LOG_2PI)), 1); // [M]
    const logQz = tf.sub(tf.logSumExp(tf.sum(pairs, 2), 1), logNM); // [M]
    const logQzProduct = tf.sum(tf.sub(tf.logSumExp(pairs, 1), logNM), 1); // [M]
    const logPz = tf.sum(tf.mul(-0.5, tf.add(tf.square(z), LOG_2PI)), 1); // [M]
    return {
      mi: tf.mean(tf.sub(logQzGivenX, logQz)) as tf.Scalar,
      tc: tf.mean(tf.sub(logQz, logQzProduct)) as tf.Scalar,
      dimKl: tf.mean(tf.sub(logQzProduct, logPz)) as tf.Scalar,
    };
  });
}
