/**
 * The importance-weighted autoencoder (Burda, Grosse & Salakhutdinov, 2016).
 *
 * Same networks as the VAE; the training loss is the negative K-sample bound
 *   L_K = E[ log (1/K) Σ_k p(x, z_k) / q(z_k|x) ],  z_k ~ q(z|x),
 * which equals the ELBO at K = 1 and rises towards log p(x) as K grows. The
 * gradient flows through every z_k (reparameterized) and the log-sum-exp.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch, ForwardContext, ModelOutput } from '../types.js';
import { networkArgs } from '../shared/networks.js';
import { Vae } from '../vae/model.js';
import type { IwaeConfig } from './config.js';

export class Iwae extends Vae<IwaeConfig> {
  override forward(batch: Batch, ctx: ForwardContext): ModelOutput {
    return tf.tidy(() => {
      const K = this.config.samples;
      const logW = this.logImportanceWeights(batch, K, ctx.rng, networkArgs(this.config, ctx)); // [b, K]
      // log (1/K) Σ_k w_k per example, then the mean over the batch.
      const bound = tf.sub(tf.logSumExp(logW, 1), Math.log(K)) as tf.Tensor1D;
      const loss = tf.neg(tf.mean(bound)) as tf.Scalar;
      // The ELBO of the same draws (the mean of log w_k), to watch the gap close.
      const elbo = tf.neg(tf.mean(logW)) as tf.Scalar;
      // The code is E[z|x] and the reconstruction decodes it; `recon` is its −log p(x|E[z|x]). A report,
      // not part of the loss: the networks run as at inference (no second update of moving statistics).
      const { mu } = this.posterior(batch);
      const { preact, logVar } = this.decodeRaw(mu, batch.labels);
      const recon = tf.mean(this.reconstructionNll(preact, batch.x, logVar)) as tf.Scalar;
      return { loss, terms: { iwae: loss, elbo, recon }, z: mu, recon: this.outputOf(preact) };
    });
  }
}
