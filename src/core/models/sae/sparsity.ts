/**
 * Sparsity penalties on hidden activations. Each function takes one layer's
 * activations H, shape [batch, units], and returns a scalar for that layer:
 *
 *   kl  Σ_j KL(ρ ‖ ρ̂_j) = Σ_j ρ log(ρ/ρ̂_j) + (1−ρ) log((1−ρ)/(1−ρ̂_j)),
 *       ρ̂_j = mean over the batch of H[:, j] (Ng's sparse autoencoder notes).
 *       A statistic of the batch, not an average of per-example values.
 *   l1  mean over the batch of Σ_j |H[b, j]|  (activation L1).
 *   l2  mean over the batch of Σ_j H[b, j]²   (activation L2).
 */
import * as tf from '@tensorflow/tfjs-core';

export const SPARSITY_PENALTIES = ['kl', 'l1', 'l2'] as const;
export type SparsityPenalty = (typeof SPARSITY_PENALTIES)[number];

/**
 * ρ̂ is clipped into [ε, 1−ε] before the logs. The KL penalty requires sigmoid
 * units, so ρ̂ lies in [0, 1] already; the clip only guards log(0) when every
 * example of a batch saturates a unit to exactly 0 or 1 in float32.
 */
export const KL_EPSILON = 1e-6;

/** Σ_j KL(ρ ‖ ρ̂_j) for one layer; `rho` in (0, 1), H in [0, 1]. */
export function klSparsity(h: tf.Tensor2D, rho: number): tf.Scalar {
  return tf.tidy(() => {
    const rhoHat = tf.clipByValue(tf.mean(h, 0), KL_EPSILON, 1 - KL_EPSILON);
    const active = tf.mul(rho, tf.log(tf.div(rho, rhoHat)));
    const inactive = tf.mul(1 - rho, tf.log(tf.div(1 - rho, tf.sub(1, rhoHat))));
    return tf.sum(tf.add(active, inactive)) as tf.Scalar;
  });
}

/** Mean over the batch of Σ_j |H[b, j]|. */
export function l1Sparsity(h: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sum(tf.abs(h), 1)) as tf.Scalar);
}

/** Mean over the batch of Σ_j H[b, j]². */
export function l2Sparsity(h: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sum(tf.square(h), 1)) as tf.Scalar);
}

/** What the penalty needs to know: which one, and ρ for kl. */
export interface SparsitySpec {
  kind: SparsityPenalty;
  /** Target mean activation; used by kl only. */
  rho: number | null;
}

/** The penalty of one layer. */
export function layerSparsity(spec: SparsitySpec, h: tf.Tensor2D): tf.Scalar {
  if (spec.kind === 'l1') return l1Sparsity(h);
  if (spec.kind === 'l2') return l2Sparsity(h);
  if (spec.rho === null) throw new Error('the kl sparsity penalty needs rho');
  return klSparsity(h, spec.rho);
}

/**
 * Over several layers: `value` = Σ_k s_k (the unweighted term that is
 * reported) and `weighted` = Σ_k w_k·s_k (what enters the loss), with s_k the
 * penalty of layer k and one weight per layer.
 */
export function sparsityPenalty(spec: SparsitySpec, layers: readonly tf.Tensor2D[], weights: readonly number[]): { value: tf.Scalar; weighted: tf.Scalar } {
  if (layers.length !== weights.length) throw new Error(`${layers.length} layers but ${weights.length} sparsity weights`);
  return tf.tidy(() => {
    const perLayer = tf.stack(layers.map((h) => layerSparsity(spec, h))); // [layers]
    const value = tf.sum(perLayer) as tf.Scalar;
    const weighted = tf.sum(tf.mul(perLayer, tf.tensor1d([...weights]))) as tf.Scalar;
    return { value, weighted };
  });
}
