import type { ModelDefinition } from '../types.js';
import { Vae } from '../vae/model.js';
import { BTCVAE_OPTIONS, resolveBtcvaeConfig, type BtcvaeConfig } from './config.js';
import { Btcvae } from './model.js';

export { Btcvae } from './model.js';
export { BTCVAE_OPTIONS, DEFAULT_TC_WEIGHT, resolveBtcvaeConfig, type BtcvaeConfig } from './config.js';
export { klDecomposition, logImportanceWeights, TC_ESTIMATORS, type KlParts, type TcEstimator } from './decomposition.js';

/** `latentkit train --model btcvae --tc-weight 6`. */
export const definition: ModelDefinition<BtcvaeConfig> = {
  name: 'btcvae',
  summary: 'β-TCVAE: the KL split into mutual information, total correlation and dimension-wise KL (minibatch-weighted or stratified sampling, --tc-estimator), with β only on the total correlation (--tc-weight β)',
  options: BTCVAE_OPTIONS,
  resolveConfig: resolveBtcvaeConfig,
  create: (config, rng) => new Btcvae(config, Vae.create(config, rng)),
  restore: (config, networks) => new Btcvae(config, { encoder: networks.encoder, decoder: networks.decoder }),
};
