/**
 * β-TCVAE (Chen, Li, Grosse & Duvenaud 2018): the VAE with the KL term split
 * into index-code mutual information, total correlation and dimension-wise
 * KL, and only the total correlation weighted by β, which pushes the code's
 * dimensions towards independence without starving the code of information.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch, ForwardContext, ModelOutput } from '../types.js';
import { Vae } from '../vae/model.js';
import type { BtcvaeConfig } from './config.js';
import { klDecomposition } from './decomposition.js';

export class Btcvae extends Vae<BtcvaeConfig> {
  override forward(batch: Batch, ctx: ForwardContext): ModelOutput {
    return tf.tidy(() => {
      const { mu, logVar, z, preact, recon } = this.drawAndDecode(batch, ctx);
      const { mi, tc, dimKl } = klDecomposition(z, mu, logVar, this.config.datasetSize, this.config.tcEstimator);
      const loss = tf.addN([recon, mi, tf.mul(this.config.tcWeight, tc), dimKl]) as tf.Scalar;
      return { loss, terms: { recon, mi, tc, dim_kl: dimKl }, z, recon: this.outputOf(preact) };
    });
  }
}
