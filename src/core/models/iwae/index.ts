import type { ModelDefinition } from '../types.js';
import { Vae } from '../vae/model.js';
import { IWAE_OPTIONS, resolveIwaeConfig, type IwaeConfig } from './config.js';
import { Iwae } from './model.js';

export { Iwae } from './model.js';
export { IWAE_OPTIONS, DEFAULT_IWAE_SAMPLES, resolveIwaeConfig, type IwaeConfig } from './config.js';

/** `latentkit train --model iwae --samples K`. */
export const definition: ModelDefinition<IwaeConfig> = {
  name: 'iwae',
  summary: 'importance-weighted autoencoder: the VAE trained on the K-sample bound log (1/K) Σ p(x,z_k)/q(z_k|x), tighter than the ELBO (--samples K)',
  options: IWAE_OPTIONS,
  resolveConfig: resolveIwaeConfig,
  create: (config, rng) => new Iwae(config, Vae.create(config, rng)),
  restore: (config, networks) => new Iwae(config, { encoder: networks.encoder, decoder: networks.decoder }),
};
