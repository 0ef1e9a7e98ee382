import type { ModelDefinition } from '../types.js';
import { Ae } from '../ae/model.js';
import { resolveWaeConfig, WAE_OPTIONS, type WaeConfig } from './config.js';
import { Wae } from './model.js';

export { Wae } from './model.js';
export { resolveWaeConfig, WAE_OPTIONS, DEFAULT_MMD_WEIGHT, type WaeConfig } from './config.js';

/** `latentkit train --model wae --mmd-weight 10`. */
export const definition: ModelDefinition<WaeConfig> = {
  name: 'wae',
  summary: 'Wasserstein autoencoder (MMD): a deterministic encoder whose batch of codes is pulled to N(0, I) by λ·MMD² with an IMQ kernel; generates by decoding z ~ N(0, I) (--mmd-weight λ)',
  options: WAE_OPTIONS,
  resolveConfig: resolveWaeConfig,
  create: (config, rng) => new Wae(config, Ae.buildNetworks(config, rng)),
  restore: (config, networks) => new Wae(config, { encoder: networks.encoder, decoder: networks.decoder }),
};
