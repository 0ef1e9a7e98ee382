import type { ModelDefinition } from '../types.js';
import { resolveVqvaeConfig, VQVAE_OPTIONS, type VqvaeConfig } from './config.js';
import { Vqvae } from './model.js';

export { Vqvae, buildQuantizer, QUANTIZER_LAYER, RESET_EVERY, type VqvaeNetworks } from './model.js';
export { resolveVqvaeConfig, VQVAE_OPTIONS, DEFAULT_COMMITMENT, DEAD_CODES, VQ_PRIORS, type VqvaeConfig, type DeadCodes, type VqPrior } from './config.js';
export { MadePrior, madeMasks, buildIndexPrior, autoregressiveLogProb, drawAutoregressive, PRIOR_HIDDEN } from './prior.js';
export { VectorQuantizer, nearestCodes, lookupCodes, straightThrough, stopGradient, quantisationTerms, codeCounts, perplexity, drawIndices, USAGE_DECAY, DEAD_USAGE } from './quantizer.js';

/** `latentkit train --model vqvae --codebook-size 512 --code-groups 8 --commitment 0.25`. */
export const definition: ModelDefinition<VqvaeConfig> = {
  name: 'vqvae',
  summary:
    'vector-quantised autoencoder (VQ-VAE): the code is cut into --code-groups G groups, each snapped to its nearest of --codebook-size K shared codebook vectors (straight-through gradient; codebook and β·commitment terms, --commitment β); generates from a prior over the indices, autoregressive across groups or independent (--vq-prior)',
  options: VQVAE_OPTIONS,
  resolveConfig: resolveVqvaeConfig,
  create: (config, rng) => new Vqvae(config, Vqvae.buildNetworks(config, rng)),
  restore: (config, networks) => new Vqvae(config, { encoder: networks.encoder, decoder: networks.decoder, quantizer: networks.quantizer, ...(networks.prior ? { prior: networks.prior } : {}) }),
};
