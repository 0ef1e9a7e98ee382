import { Ae } from '../ae/model.js';
import type { ModelDefinition } from '../types.js';
import { CAE_OPTIONS, resolveCaeFields, type CaeConfig } from './config.js';
import { Cae } from './model.js';

export { Cae } from './model.js';
export { CAE_OPTIONS, DEFAULT_CONTRACTIVE_WEIGHT, resolveCaeFields, type CaeConfig } from './config.js';
export { contractivePenalty, encodeWithSlopes, squaredJacobianNorms } from './jacobian.js';

export const definition: ModelDefinition<CaeConfig> = {
  name: 'cae',
  summary: 'contractive autoencoder: loss = reconstruction + λ·‖∂code/∂x‖²_F, the exact Jacobian of the MLP encoder (--contractive-weight λ)',
  options: CAE_OPTIONS,
  resolveConfig: (input, data) => resolveCaeFields('cae', input, data),
  create: (config, rng) => new Cae(config, Ae.buildNetworks(config, rng)),
  restore: (config, networks) => new Cae(config, { encoder: networks.encoder, decoder: networks.decoder }),
};
