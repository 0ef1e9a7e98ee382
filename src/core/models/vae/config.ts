import { z } from 'zod';
import { FieldError } from '../../errors.js';
import { described } from '../../requests/fields.js';
import { COMMON_KEYS, parseOptions, rejectUnknownKeys, resolveCommon, type CommonDefaults } from '../shared/config.js';
import type { CommonConfig, DataInfo } from '../types.js';

export const DECODERS = ['bernoulli', 'gaussian'] as const;
export type DecoderLikelihood = (typeof DECODERS)[number];

export interface VaeConfig extends CommonConfig {
  /** Weight on the KL term (β-VAE); 1 is the plain VAE. */
  beta: number;
  /** β rises linearly from 0 over this many epochs; 0 turns warm-up off. */
  klWarmup: number;
  /** p(x|z): Bernoulli (pixels in [0, 1]) or Gaussian. */
  decoder: DecoderLikelihood;
  /** Gaussian decoder: a fixed σ, or 'learned' (one log σ² per pixel). */
  sigma: number | 'learned';
  /**
   * When set, the reconstruction term is this weight times the per-pixel mean
   * squared error (the Keras book's r_loss_factor), instead of a likelihood.
   */
  reconWeight: number | null;
}

/** The VAE's own settings (`--beta`, `--kl-warmup`, ...); the conditional VAE shares them. */
export const VAE_OPTIONS = z.object({
  beta: described(z.number().min(0).max(1e6).default(1), { arg: 'B', description: 'weight on the KL term (β-VAE)' }),
  klWarmup: described(z.number().min(0).max(1e6).default(0), { arg: 'N', description: 'epochs over which β rises linearly from 0 (0: off)' }),
  decoder: described(z.enum(DECODERS).optional(), { arg: 'NAME', description: 'likelihood p(x|z)', defaultText: 'bernoulli; gaussian for standardized tables' }),
  sigma: described(z.union([z.number().positive().max(1e6), z.literal('learned')]).optional(), { arg: 'S', description: "gaussian decoder: a fixed σ, or 'learned' (one log σ² per pixel)", defaultText: '1' }),
  reconWeight: described(z.number().positive().max(1e9).optional(), { arg: 'W', description: 'use W·MSE (mean over pixels) as the reconstruction term, as the Keras book does' }),
});

const VAE_KEYS = [...COMMON_KEYS, ...Object.keys(VAE_OPTIONS.shape)];

/** Kingma & Welling's MNIST network: 784 → 400 → 20. */
const VAE_DEFAULTS: CommonDefaults = { hidden: [400], latent: 20, activation: 'relu' };

/** Settings shared by the VAE and the models built on it (conditional, hierarchical, ...). */
export function resolveVaeFields(model: string, input: Record<string, unknown>, data: DataInfo, extraKeys: readonly string[] = [], defaults = VAE_DEFAULTS): VaeConfig {
  rejectUnknownKeys(input, [...VAE_KEYS, ...extraKeys], model);
  const common = resolveCommon(model, input, data, defaults);
  const options = parseOptions(VAE_OPTIONS, input);
  // Real-valued data (standardized table columns) has no Bernoulli likelihood.
  const real = data.domain === 'real';
  const decoder = options.decoder ?? (real ? 'gaussian' : 'bernoulli');
  if (real && decoder === 'bernoulli') throw new FieldError('decoder', 'bernoulli needs data in [0, 1]; these values are real (standardized): use gaussian, or scale minmax');
  const reconWeight = options.reconWeight ?? null;
  if (real && reconWeight !== null) throw new FieldError('reconWeight', 'compares sigmoid outputs in [0, 1]; these values are real (standardized): use {{decoder}} gaussian, or scale minmax');
  if (reconWeight !== null && decoder === 'gaussian') throw new FieldError('reconWeight', 'sets its own MSE reconstruction term; do not combine it with {{decoder}} gaussian');
  if (options.sigma !== undefined && decoder !== 'gaussian') throw new FieldError('sigma', 'applies only to {{decoder}} gaussian');
  return { ...common, beta: options.beta, klWarmup: options.klWarmup, decoder, sigma: options.sigma ?? 1, reconWeight };
}
