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
}

/** β = 0.25, the paper's value (results were robust from 0.1 to 2.0). */
export const DEFAULT_COMMITMENT = 0.25;

export const VQVAE_OPTIONS = AE_OPTIONS.extend({
  codebookSize: count({ arg: 'K', description: 'vectors in the codebook' }, 65_536).default(512),
  codeGroups: count({ arg: 'G', description: 'split the code into G groups of latent/G dims, each quantised separately against the shared codebook (G discrete codes per example)' }, 100_000).default(1),
  commitment: described(z.number().min(0).max(1e6).default(DEFAULT_COMMITMENT), { arg: 'B', description: 'weight β of the commitment term ‖z_e − sg[e]‖²' }),
});

export function resolveVqvaeConfig(input: Record<string, unknown>, data: DataInfo): VqvaeConfig {
  const ae = resolveAeFields('vqvae', input, data, ['codebookSize', 'codeGroups', 'commitment']);
  const { codebookSize, codeGroups, commitment } = parseOptions(VQVAE_OPTIONS, input);
  if (ae.latent % codeGroups !== 0) throw new FieldError('codeGroups', `${codeGroups} does not divide {{latent}} ${ae.latent}: each group quantises latent/G dims`);
  return { ...ae, codebookSize, codeGroups, commitment };
}
