import type { ModelDefinition } from '../types.js';
import { resolveVampConfig, VAMP_OPTIONS, type VampConfig } from './config.js';
import { Vamp } from './model.js';

export { Vamp, type VampNetworks } from './model.js';
export { DEFAULT_PSEUDO_INPUTS, LOG_VAR_CLAMPS, LOG_VAR_RANGE, resolveVampConfig, VAMP_OPTIONS, type LogVarClamp, type VampConfig } from './config.js';
export { componentLogDensities, logMixtureDensity, sampleMixture } from './prior.js';
export { PseudoInputs, PSEUDO_INPUT_INIT } from './pseudo-inputs.js';

/** `latentkit train --model vamp --pseudo-inputs 500`. */
export const definition: ModelDefinition<VampConfig> = {
  name: 'vamp',
  summary: 'VAE with a VampPrior: the prior is the mixture (1/K) Σ_k q(z|u_k) of the encoder at K learned pseudo-inputs; KL by one-sample Monte Carlo (--pseudo-inputs K)',
  options: VAMP_OPTIONS,
  resolveConfig: resolveVampConfig,
  create: (config, rng) => new Vamp(config, Vamp.createNetworks(config, rng)),
  restore: (config, networks) => new Vamp(config, { encoder: networks.encoder, decoder: networks.decoder, pseudo_inputs: networks.pseudo_inputs }),
};
