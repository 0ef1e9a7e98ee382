import { Ae } from '../ae/model.js';
import type { ModelDefinition } from '../types.js';
import { DAE_OPTIONS, resolveDaeFields, type DaeConfig } from './config.js';
import { Dae } from './model.js';

export { Dae } from './model.js';
export { DAE_OPTIONS, DEFAULT_NOISE, resolveDaeFields, type DaeConfig } from './config.js';
export { NOISE_KINDS, corruptBatch, formatNoise, parseNoise, type NoiseKind, type NoiseSpec } from './noise.js';

export const definition: ModelDefinition<DaeConfig> = {
  name: 'dae',
  summary: 'denoising autoencoder: reconstructs the clean x from an input corrupted afresh each batch (--noise mask:0.3 | gaussian:σ | salt-pepper:p)',
  options: DAE_OPTIONS,
  resolveConfig: (input, data) => resolveDaeFields('dae', input, data),
  create: (config, rng) => new Dae(config, Ae.buildNetworks(config, rng)),
  restore: (config, networks) => new Dae(config, { encoder: networks.encoder, decoder: networks.decoder }),
};
