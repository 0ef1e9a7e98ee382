import { z } from 'zod';
import { FieldError } from '../../errors.js';
import { described } from '../../requests/fields.js';
import { parseOptions } from '../shared/config.js';
import type { DataInfo } from '../types.js';
import { resolveVaeFields, VAE_OPTIONS, type VaeConfig } from '../vae/config.js';

export interface IwaeConfig extends VaeConfig {
  /** K: importance samples per example in the training bound. */
  samples: number;
}

/** K = 5, Burda et al.'s middle setting: most of the gain of K = 50 at a tenth of the decoder passes. */
export const DEFAULT_IWAE_SAMPLES = 5;

export const IWAE_OPTIONS = VAE_OPTIONS.extend({
  samples: described(z.int().min(1).max(5000).default(DEFAULT_IWAE_SAMPLES), { arg: 'K', description: 'importance samples per example in the training bound (1: the ELBO)' }),
});

/** The VAE's settings plus K; the bound is of log p(x) itself, so β, its warm-up and the Keras weighting do not apply. */
export function resolveIwaeConfig(input: Record<string, unknown>, data: DataInfo): IwaeConfig {
  const vae = resolveVaeFields('iwae', input, data, ['samples']);
  if (vae.beta !== 1) throw new FieldError('beta', `must be 1 for model 'iwae' (its bound is of log p(x)), got ${vae.beta}`);
  if (vae.klWarmup !== 0) throw new FieldError('klWarmup', `must be 0 for model 'iwae' (its bound has no separate KL term), got ${vae.klWarmup}`);
  if (vae.reconWeight !== null) throw new FieldError('reconWeight', "does not apply to model 'iwae': its bound needs a likelihood");
  return { ...vae, model: 'iwae', samples: parseOptions(IWAE_OPTIONS, input).samples };
}
