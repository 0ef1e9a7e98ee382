import type { ModelDefinition } from '../types.js';
import { resolveSaeConfig, SAE_OPTIONS, type SaeConfig } from './config.js';
import { Sae } from './model.js';

export { Sae, hiddenActivationsView } from './model.js';
export { resolveSaeConfig, SAE_OPTIONS, DEFAULT_RHO, DEFAULT_SPARSITY_WEIGHT, type SaeConfig } from './config.js';
export { kSparse, topKMask } from './topk.js';
export { klSparsity, l1Sparsity, l2Sparsity, sparsityPenalty, SPARSITY_PENALTIES, type SparsityPenalty } from './sparsity.js';

/** The sparse autoencoder as the registry sees it: `latentkit train --model sae --k 10` or `--sparsity kl`. */
export const definition: ModelDefinition<SaeConfig> = {
  name: 'sae',
  summary: 'sparse autoencoder: k-sparse code (--k K keeps the K largest |z|) and/or a kl, l1 or l2 penalty on the hidden activations (--sparsity)',
  options: SAE_OPTIONS,
  // Both mechanisms at once, so the shared suites exercise each.
  exampleInput: { k: 2, sparsity: 'kl' },
  resolveConfig: resolveSaeConfig,
  create: (config, rng) => new Sae(config, Sae.buildNetworks(config, rng)),
  restore: (config, networks) => new Sae(config, { encoder: networks.encoder, decoder: networks.decoder }),
};
