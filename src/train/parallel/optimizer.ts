/**
 * The one place the trainer and the workers create their optimizer, so every
 * replica runs exactly the same update code.
 */
import * as tf from '@tensorflow/tfjs-core';

export function createOptimizer(lr: number): tf.Optimizer {
  return tf.train.adam(lr);
}
