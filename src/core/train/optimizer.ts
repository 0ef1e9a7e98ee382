/**
 * The one place the trainer and the workers create their optimizer, so every
 * replica runs exactly the same update code: Adam with the fused update
 * kernel (optimizers/adam.ts), same state format as tf.train.adam.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { adam } from './optimizers/adam.js';

export function createOptimizer(lr: number): tf.Optimizer {
  return adam(lr);
}
