import type { ModelDefinition } from '../types.js';
import { CVAE_OPTIONS, resolveCvaeConfig, type CvaeConfig } from './config.js';
import { Cvae } from './model.js';

export { Cvae, type CvaeNetworks } from './model.js';
export { resolveCvaeConfig, CVAE_OPTIONS, type CvaeConfig } from './config.js';

/** The conditional VAE as the registry sees it: `latentkit train --model cvae`. */
export const definition: ModelDefinition<CvaeConfig> = {
  name: 'cvae',
  summary: 'conditional VAE: encoder q(z|x,y) and decoder p(x|z,y) see the one-hot label, so samples come from the class you ask for',
  options: CVAE_OPTIONS,
  resolveConfig: resolveCvaeConfig,
  create: (config, rng) => new Cvae(config, Cvae.build(config, rng)),
  restore: (config, networks) => new Cvae(config, { encoder: networks.encoder, decoder: networks.decoder }),
};
