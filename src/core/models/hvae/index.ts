import type { ModelDefinition } from '../types.js';
import { HVAE_OPTIONS, resolveHvaeConfig, type HvaeConfig } from './config.js';
import { Hvae } from './model.js';

export { Hvae, drawNoise, type HvaeNetworks, type Noise, type Draws } from './model.js';
export { HVAE_OPTIONS, resolveHvaeConfig, type HvaeConfig } from './config.js';

/** `latentkit train --model hvae --latent 100 --latent2 50 --hidden2 100,100`. */
export const definition: ModelDefinition<HvaeConfig> = {
  name: 'hvae',
  summary: 'hierarchical VAE with two stochastic layers (Burda et al. 2016): p(z2) p(z1|z2) p(x|z1), q(z1|x) q(z2|z1); the code is z1 (--latent), whose prior is the top layer z2 (--latent2 units); samples are drawn ancestrally',
  options: HVAE_OPTIONS,
  resolveConfig: resolveHvaeConfig,
  create: (config, rng) => new Hvae(config, Hvae.buildNetworks(config, rng)),
  restore: (config, networks) => new Hvae(config, { encoder: networks.encoder, encoder2: networks.encoder2, decoder2: networks.decoder2, decoder: networks.decoder }),
};
