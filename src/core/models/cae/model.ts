/**
 * The contractive autoencoder (Rifai et al., 2011): the loss adds
 * λ·‖∂f(x)/∂x‖²_F, the squared Frobenius norm of the encoder's Jacobian, so
 * the code is insensitive to directions the data do not vary along.
 *
 * The penalty is exact (jacobian.ts). With one hidden layer it is a
 * quadratic form in the slopes, O(width²) per example; deeper encoders still
 * cost about `latent` backward passes through the layers above the first
 * (one per row of J), the first entering through its Gram matrix.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Ae, type ForwardState, type Penalty } from '../ae/model.js';
import type { ForwardContext } from '../types.js';
import type { CaeConfig } from './config.js';
import { encodeWithSlopes, squaredJacobianNorms } from './jacobian.js';

export class Cae extends Ae<CaeConfig> {
  /** The code, then every hidden layer's activation slope (what the Jacobian is built from). */
  protected override encoderOutputs(x: tf.Tensor2D): tf.Tensor[] {
    const { code, slopes } = encodeWithSlopes(this.networks.encoder, x);
    return [code, ...slopes];
  }

  /** `contractive`: the per-example mean of ‖J‖²_F, on the encoder's actual input. */
  protected override penalties(state: ForwardState, _ctx: ForwardContext): Record<string, Penalty> {
    const slopes = state.encoderOutputs.slice(1) as tf.Tensor2D[];
    const value = tf.mean(squaredJacobianNorms(this.networks.encoder, slopes)) as tf.Scalar;
    return { contractive: { value, weight: this.config.contractiveWeight } };
  }
}
