/**
 * The denoising autoencoder (Vincent et al., 2008): the encoder sees a
 * corrupted x̃, the decoder must reproduce the clean x. Only the `corrupt`
 * hook differs from the plain autoencoder.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { Ae } from '../ae/model.js';
import type { ForwardContext } from '../types.js';
import type { DaeConfig } from './config.js';
import { corruptBatch } from './noise.js';

export class Dae extends Ae<DaeConfig> {
  /** Fresh noise every call (the base class calls it only while training), from the run's seeded Rng. */
  protected override corrupt(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    return corruptBatch(x, this.config.noise, ctx.rng.seed(), { clip: this.config.loss === 'bce' });
  }
}
