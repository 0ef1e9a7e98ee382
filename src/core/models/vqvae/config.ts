import { z } from 'zod';
import { FieldError } from '../../errors.js';
import { count, described } from '../../requests/fields.js';
import { AE_OPTIONS, resolveAeFields, type AeConfig } from '../ae/config.js';
import { parseOptions } from '../shared/config.js';
import type { DataInfo } from '../types.js';

export interface VqvaeConfig extends AeConfig {
  /** K: vectors in the codebook. */
  codebookSize: number;
  /** G: the code is split into G groups of latent/G dims, each quantised against the one shared codebook. */
  codeGroups: number;
  /** β in recon + ‖sg[z_e] − e‖² + β‖z_e − sg[e]‖². */
  commitment: number;
  /** reset: codes unused for a while restart at encoder outputs of the batch (every 100 steps, and at the first); keep: never. */
  deadCodes: DeadCodes;
  /** Absent in runs that predate it: independent. */
  vqPrior?: VqPrior;
}

export const DEAD_CODES = ['reset', 'keep'] as const;
export type DeadCodes = (typeof DEAD_CODES)[number];

/**
 * The prior over the G indices that sampling draws from. independent: each
 * group from its own training frequencies; autoregressive: p(i_1) p(i_2|i_1)
 * ··· p(i_G|i_<G), a masked network fitted alongside the autoencoder to the
 * batches' indices (its negative log-likelihood is the loss term `prior`).
 */
export const VQ_PRIORS = ['independent', 'autoregressive'] as const;
export type VqPrior = (typeof VQ_PRIORS)[number];

/** β = 0.25, the paper's value (results were robust from 0.1 to 2.0). */
export const DEFAULT_COMMITMENT = 0.25;

export const VQVAE_OPTIONS = AE_OPTIONS.extend({
  codebookSize: count({ arg: 'K', description: 'vectors in the codebook' }, 65_536).default(512),
  codeGroups: count({ arg: 'G', description: 'split the code into G groups of latent/G dims, each quantised separately against the shared codebook (G discrete codes per example)' }, 100_000).default(1),
  commitment: described(z.number().min(0).max(1e6).default(DEFAULT_COMMITMENT), { arg: 'B', description: 'weight β of the commitment term ‖z_e − sg[e]‖²' }),
  deadCodes: described(z.enum(DEAD_CODES).default('reset'), {
    arg: 'MODE',
    description: 'reset: every 100 steps (and at the first) codes barely used lately restart at encoder outputs of the batch (training on one thread); keep: never',
  }),
  vqPrior: described(z.enum(VQ_PRIORS).default('autoregressive'), {
    arg: 'KIND',
    description:
      "prior over the G indices that samples are drawn from: independent (each group from its training frequencies) or autoregressive (p(i_1) p(i_2|i_1) ··· p(i_G|i_<G), a masked network trained alongside on the batches' indices; its NLL is the loss term prior)",
  }),
});

export function resolveVqvaeConfig(input: Record<string, unknown>, data: DataInfo): VqvaeConfig {
  const ae = resolveAeFields('vqvae', input, data, ['codebookSize', 'codeGroups', 'commitment', 'deadCodes', 'vqPrior']);
  const { codebookSize, codeGroups, commitment, deadCodes, vqPrior } = parseOptions(VQVAE_OPTIONS, input);
  if (ae.latent % codeGroups !== 0) throw new FieldError('codeGroups', `${codeGroups} does not divide {{latent}} ${ae.latent}: each group quantises latent/G dims`);
  return { ...ae, codebookSize, codeGroups, commitment, deadCodes, vqPrior };
}
