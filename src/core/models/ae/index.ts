import type { ModelDefinition } from '../types.js';
import { AE_OPTIONS, resolveAeFields, type AeConfig } from './config.js';
import { Ae } from './model.js';

export { Ae, type AeNetworks, type ForwardState, type Penalty } from './model.js';
export { resolveAeFields, AE_OPTIONS, AE_KEYS, RECON_LOSSES, type AeConfig, type ReconLoss } from './config.js';

export const definition: ModelDefinition<AeConfig> = {
  name: 'ae',
  summary: 'undercomplete stacked autoencoder (784-512-256-32-256-512-784 by default); --activation linear --loss mse spans the PCA subspace',
  options: AE_OPTIONS,
  resolveConfig: (input, data) => resolveAeFields('ae', input, data),
  create: (config, rng) => new Ae(config, Ae.buildNetworks(config, rng)),
  restore: (config, networks) => new Ae(config, { encoder: networks.encoder, decoder: networks.decoder }),
};
