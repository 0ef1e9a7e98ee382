/**
 * The Wasserstein autoencoder with an MMD penalty (Tolstikhin et al. 2018).
 *
 * A deterministic encoder, so each code is a point; instead of a per-example
 * KL, the whole batch of codes is pulled towards the prior: loss =
 * reconstruction + λ·MMD²(codes, draws of N(0, I)), with the inverse
 * multiquadratic kernel (its heavy tails keep a gradient for codes far from
 * the prior, where a Gaussian kernel's vanishes). New data: decode z ~ N(0, I).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mmdImq } from '../../losses/index.js';
import { Ae, type ForwardState, type Penalty } from '../ae/model.js';
import type { ForwardContext } from '../types.js';
import type { WaeConfig } from './config.js';

export class Wae extends Ae<WaeConfig> {
  override readonly generative = true;

  protected override penalties(state: ForwardState, ctx: ForwardContext): Record<string, Penalty> {
    const prior = tf.randomNormal(state.z.shape, 0, 1, 'float32', ctx.rng.seed()) as tf.Tensor2D;
    return { mmd: { value: mmdImq(state.z, prior), weight: this.config.mmdWeight } };
  }
}
