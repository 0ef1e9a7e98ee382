/**
 * The VampPrior's densities: a uniform mixture of K diagonal Gaussians,
 * p(z) = (1/K) Σ_k N(z; μ_k, diag σ²_k).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * log N(z_i; μ_k, diag σ²_k) for every code i and component k, [n, K].
 *
 * Σ_l (z_l − μ_kl)²/σ²_kl is expanded into z²·(1/σ²_k) − 2 z·(μ_k/σ²_k) +
 * Σ μ²_k/σ²_k: two [n, L]×[L, K] products instead of an [n, K, L]
 * difference, which for IWAE evaluation (20 000 codes against 500
 * components) would hold 10⁷·L floats. The cost is float32 cancellation
 * when z lies far from the origin relative to σ_k; the tests bound it.
 */
export function componentLogDensities(z: tf.Tensor2D, mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const latent = z.shape[1];
    const precision = tf.exp(tf.neg(logVar)); // [K, L]
    const squares = tf.matMul(tf.square(z), precision, false, true); // [n, K]
    const cross = tf.matMul(z, tf.mul(mu, precision), false, true); // [n, K]
    const perComponent = tf.sum(tf.add(tf.mul(tf.square(mu), precision), logVar), 1); // [K]
    const quadratic = tf.add(tf.sub(squares, tf.mul(2, cross)), perComponent);
    return tf.mul(-0.5, tf.add(quadratic, latent * Math.log(2 * Math.PI))) as tf.Tensor2D;
  });
}

/** log (1/K) Σ_k N(z_i; μ_k, diag σ²_k) per code, [n], by a stable log-sum-exp. */
export function logMixtureDensity(z: tf.Tensor2D, mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sub(tf.logSumExp(componentLogDensities(z, mu, logVar), 1), Math.log(mu.shape[0])) as tf.Tensor1D);
}

/**
 * n draws from the mixture at temperature T: component k_i uniform (from
 * `pick`, uniform in [0, 1)), then z_i = μ_k + T·σ_k·ε_i, ε_i ~ N(0, I)
 * seeded by `seed`. [n, L].
 */
export function sampleMixture(mu: tf.Tensor2D, logVar: tf.Tensor2D, n: number, temperature: number, pick: () => number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const K = mu.shape[0];
    const components = tf.tensor1d(Int32Array.from({ length: n }, () => Math.min(K - 1, Math.floor(pick() * K))), 'int32');
    const eps = tf.randomNormal([n, mu.shape[1]], 0, 1, 'float32', seed);
    const sigma = tf.exp(tf.mul(0.5, tf.gather(logVar, components)));
    return tf.add(tf.gather(mu, components), tf.mul(tf.mul(temperature, sigma), eps)) as tf.Tensor2D;
  });
}
