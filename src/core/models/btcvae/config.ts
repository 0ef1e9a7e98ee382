import { z } from 'zod';
import { FieldError } from '../../errors.js';
import { described } from '../../requests/fields.js';
import { parseOptions } from '../shared/config.js';
import type { DataInfo } from '../types.js';
import { TC_ESTIMATORS, type TcEstimator } from './decomposition.js';
import { resolveVaeFields, VAE_OPTIONS, type VaeConfig } from '../vae/config.js';

export interface BtcvaeConfig extends VaeConfig {
  /** β on the total correlation; the mutual information and dimension-wise KL keep weight 1. */
  tcWeight: number;
  /** How log q(z) is estimated from a minibatch: weighted (mws) or stratified (mss) sampling. */
  tcEstimator: TcEstimator;
  /** N in the minibatch estimate of log q(z) (the training set's size). */
  datasetSize: number;
}

/** β = 6, the value Chen et al. report for their dSprites results. */
export const DEFAULT_TC_WEIGHT = 6;

export const BTCVAE_OPTIONS = VAE_OPTIONS.extend({
  tcWeight: described(z.number().min(0).max(1e6).default(DEFAULT_TC_WEIGHT), { arg: 'B', description: 'weight β of the total correlation of q(z) (β-TCVAE)' }),
  tcEstimator: described(z.enum(TC_ESTIMATORS).default('mws'), {
    arg: 'NAME',
    description: 'minibatch estimate of log q(z): mws (weighted sampling, biased: the MI is capped at log(N·batch)) or mss (stratified sampling, lower bias)',
  }),
});

/** The VAE's settings plus β_TC; `beta` would weigh the whole KL again, so it must stay 1. */
export function resolveBtcvaeConfig(input: Record<string, unknown>, data: DataInfo): BtcvaeConfig {
  const vae = resolveVaeFields('btcvae', input, data, ['tcWeight', 'tcEstimator', 'datasetSize']);
  if (vae.beta !== 1) throw new FieldError('beta', `must be 1 for model 'btcvae' (use {{tcWeight}} to weigh the total correlation), got ${vae.beta}`);
  if (vae.reconWeight !== null) throw new FieldError('reconWeight', "does not apply to model 'btcvae': its decomposition needs a likelihood");
  const saved = input.datasetSize;
  const datasetSize = typeof saved === 'number' && Number.isInteger(saved) && saved > 0 ? saved : (data.examples ?? 60_000);
  const { tcWeight, tcEstimator } = parseOptions(BTCVAE_OPTIONS, input);
  return { ...vae, model: 'btcvae', tcWeight, tcEstimator, datasetSize };
}
