/**
 * Corruption processes of the denoising autoencoder (Vincent et al., 2008/2010):
 *
 *   gaussian:σ      x̃ = x + N(0, σ²)                (optionally clipped to [0, 1])
 *   mask:p          a fraction p of each example's inputs forced to 0
 *   salt-pepper:p   a fraction p of each example's inputs set to 0 or 1 (a fair coin each)
 *
 * As in Vincent et al. (2010), the masked and salt-and-pepper entries are a
 * fixed fraction of each example, chosen at random, rather than independent
 * coin flips per pixel: every example loses the same amount of information.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../random.js';

export { NOISE_KINDS, NOISE_FORMAT, formatNoise, noiseSpec, parseNoise, type NoiseKind, type NoiseSpec } from './noise-spec.js';
import type { NoiseSpec } from './noise-spec.js';

/**
 * A boolean [b, d] mask choosing exactly round(p·d) entries of every row,
 * uniformly at random: the entries whose uniform draw is among the row's k smallest.
 */
function chooseFraction(shape: [number, number], p: number, seed: number): tf.Tensor2D {
  const [b, d] = shape;
  const k = Math.round(p * d);
  if (k === 0) return tf.zeros(shape, 'bool');
  const u = tf.randomUniform(shape, 0, 1, 'float32', seed);
  const kthSmallest = tf.neg(tf.slice(tf.topk(tf.neg(u), k).values, [0, k - 1], [b, 1]));
  return tf.lessEqual(u, kthSmallest) as tf.Tensor2D;
}

/**
 * Corrupt a batch x [b, d] of inputs in [0, 1]. The same seed gives the same
 * corruption, so held-out inputs can be corrupted exactly as in training.
 *
 * @param options.clip clip gaussian-corrupted inputs to [0, 1] (the range a
 *   sigmoid/BCE model assumes); the other kinds never leave [0, 1]
 */
export function corruptBatch(x: tf.Tensor2D, noise: NoiseSpec, seed: number, options: { clip?: boolean } = {}): tf.Tensor2D {
  return tf.tidy((): tf.Tensor2D => {
    // Independent draws (which entries, which value) from one seed.
    const seeds = new Rng(seed);
    if (noise.kind === 'gaussian') {
      const noisy = tf.add(x, tf.randomNormal(x.shape, 0, noise.amount, 'float32', seeds.seed())) as tf.Tensor2D;
      return options.clip ? tf.clipByValue(noisy, 0, 1) : noisy;
    }
    const chosen = chooseFraction(x.shape, noise.amount, seeds.seed());
    if (noise.kind === 'mask') return tf.where(chosen, tf.zerosLike(x), x) as tf.Tensor2D;
    const salt = tf.cast(tf.less(tf.randomUniform(x.shape, 0, 1, 'float32', seeds.seed()), 0.5), 'float32');
    return tf.where(chosen, salt, x) as tf.Tensor2D;
  });
}
