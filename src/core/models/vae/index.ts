import type { ModelDefinition } from '../types.js';
import { resolveVaeFields, VAE_OPTIONS, type VaeConfig } from './config.js';
import { Vae } from './model.js';

export { Vae, reparameterize, betaAt } from './model.js';
export type { VaeConfig } from './config.js';

export const definition: ModelDefinition<VaeConfig> = {
  name: 'vae',
  summary: 'variational autoencoder: Gaussian q(z|x), reparameterized sample, loss = reconstruction NLL + β·KL',
  options: VAE_OPTIONS,
  resolveConfig: (input, data) => resolveVaeFields('vae', input, data),
  create: (config, rng) => new Vae(config, Vae.create(config, rng)),
  restore: (config, networks) => new Vae(config, { encoder: networks.encoder, decoder: networks.decoder }),
};
