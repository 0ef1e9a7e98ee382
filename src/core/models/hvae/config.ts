import { z } from 'zod';
import { FieldError } from '../../errors.js';
import { count, described } from '../../requests/fields.js';
import { parseOptions, type CommonDefaults } from '../shared/config.js';
import type { DataInfo } from '../types.js';
import { resolveVaeFields, VAE_OPTIONS, type VaeConfig } from '../vae/config.js';

/**
 * The code z (size `latent`) is the lower layer z1, next to x; z2 sits above
 * it and gives z1 its learned prior. `hidden` are the widths between x and
 * z1, `hidden2` between z1 and z2.
 */
export interface HvaeConfig extends VaeConfig {
  /** Size of the top stochastic layer z2. */
  latent2: number;
  /** Hidden widths of q(z2|z1); p(z1|z2) mirrors them. */
  hidden2: number[];
}

/**
 * Burda et al.'s two-layer MNIST network: 784 → [200, 200] → z1 (100)
 * → [100, 100] → z2 (50). They used tanh (`--activation tanh`); with this
 * initialisation a tanh network leaves z1 unused for far longer than a relu one
 * (its loss stays near that of a model ignoring z), so relu is the default.
 */
const HVAE_DEFAULTS: CommonDefaults = { hidden: [200, 200], latent: 100, activation: 'relu' };
export const DEFAULT_HIDDEN2: readonly number[] = [100, 100];

export const HVAE_OPTIONS = VAE_OPTIONS.extend({
  latent2: count({ description: 'size of the top stochastic layer z2, the prior of the code z1 (--latent)', defaultText: 'half of latent, rounded up' }, 100_000).optional(),
  hidden2: described(z.array(z.int().min(1).max(100_000)).min(1).max(64).optional(), {
    arg: 'LIST',
    description: 'hidden widths between z1 and z2, comma separated (q(z2|z1); p(z1|z2) mirrors them)',
    defaultText: '100,100',
  }),
});

/** The VAE's settings plus z2's size and the z1 ↔ z2 widths; the Keras book's MSE weighting has no likelihood, so no bound. */
export function resolveHvaeConfig(input: Record<string, unknown>, data: DataInfo): HvaeConfig {
  const vae = resolveVaeFields('hvae', input, data, ['latent2', 'hidden2'], HVAE_DEFAULTS);
  if (vae.reconWeight !== null) throw new FieldError('reconWeight', "does not apply to model 'hvae': its bound needs a likelihood");
  const options = parseOptions(HVAE_OPTIONS, input);
  return { ...vae, latent2: options.latent2 ?? Math.ceil(vae.latent / 2), hidden2: options.hidden2 ?? [...DEFAULT_HIDDEN2] };
}
