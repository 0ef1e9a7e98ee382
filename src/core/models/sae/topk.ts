/**
 * The k-sparse code step (Makhzani & Frey, 2013): keep the K largest |z_j| of
 * each code and zero the rest. Its gradient is the upstream gradient on the
 * kept units and zero on the dropped ones, written as a custom gradient so
 * TensorFlow.js never tries to differentiate through the top-k selection.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * 1 where |code[b, j]| is among the K largest of row b, else 0; shape [b, L].
 * Every row has exactly K ones: tf.topk returns K distinct indices, and ties
 * are broken in its order (lower index first).
 */
export function topKMask(code: tf.Tensor2D, k: number): tf.Tensor2D {
  return tf.tidy(() => {
    const { indices } = tf.topk(tf.abs(code), k); // [b, K]
    // One-hots in int32, cast after: the wasm backend (4.22) writes int32 bit
    // patterns into a float32 oneHot, so 1 would read as 1.4e-45.
    const oneHots = tf.oneHot(indices, code.shape[1]); // [b, K, L]
    return tf.cast(tf.sum(oneHots, 1), 'float32') as tf.Tensor2D;
  });
}

/**
 * code·mask with mask = {@link topKMask}(code, k). Backward: dy·mask, so the
 * encoder learns only through the units it kept for each example.
 */
export function kSparse(code: tf.Tensor2D, k: number): tf.Tensor2D {
  // customGrad gives gradients only to the tensors passed in; the code is the
  // only one here (k is a number, the mask is derived inside and saved).
  const step = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const mask = topKMask(x, k);
    save([mask]);
    return {
      value: tf.mul(x, mask) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.mul(dy, saved[0]),
    };
  });
  return step(code);
}
