import { UsageError } from '../../errors.js';
import { COMMON_KEYS, finiteNumber, oneOf, rejectUnknownKeys, resolveCommon } from '../shared/config.js';
import type { CommonConfig, ConfigOption, DataInfo } from '../types.js';

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

export const VAE_OPTIONS: readonly ConfigOption[] = [
  { flag: 'beta', type: 'number', description: 'weight on the KL term (β-VAE); default 1' },
  { flag: 'kl-warmup', type: 'integer', description: 'epochs over which β rises linearly from 0; default 0 (off)' },
  { flag: 'decoder', type: 'string', choices: DECODERS, description: 'likelihood p(x|z): bernoulli (default) or gaussian (default for standardized tables)' },
  { flag: 'sigma', type: 'string', description: "gaussian decoder: fixed σ (default 1) or 'learned' (per-pixel log σ²)" },
  { flag: 'recon-weight', type: 'number', description: 'use weight·MSE (mean over pixels) as the reconstruction term, as the Keras book does' },
];

const VAE_KEYS = [...COMMON_KEYS, 'beta', 'klWarmup', 'decoder', 'sigma', 'reconWeight'];

function resolveSigma(value: unknown, decoder: DecoderLikelihood): number | 'learned' {
  if (value === undefined) return 1;
  if (decoder !== 'gaussian') throw new UsageError('--sigma applies only to --decoder gaussian');
  if (value === 'learned') return 'learned';
  return finiteNumber(value, 'sigma', { min: 0, exclusiveMin: true });
}

/** Settings shared by the VAE and its conditional variant. */
export function resolveVaeFields(model: string, input: Record<string, unknown>, data: DataInfo, extraKeys: readonly string[] = []): VaeConfig {
  rejectUnknownKeys(input, [...VAE_KEYS, ...extraKeys], model);
  const common = resolveCommon(model, input, data, { hidden: [400], latent: 20, activation: 'relu' });
  // Real-valued data (standardized table columns) has no Bernoulli likelihood.
  const real = data.domain === 'real';
  const decoder = oneOf(input.decoder ?? (real ? 'gaussian' : 'bernoulli'), 'decoder', DECODERS);
  if (real && decoder === 'bernoulli') throw new UsageError('--decoder bernoulli needs data in [0, 1]; these values are real (standardized), use --decoder gaussian or --scale minmax');
  const reconWeight = input.reconWeight === undefined ? null : finiteNumber(input.reconWeight, 'recon-weight', { min: 0, exclusiveMin: true });
  if (real && reconWeight !== null) throw new UsageError('--recon-weight compares sigmoid outputs in [0, 1]; these values are real (standardized), use --decoder gaussian or --scale minmax');
  if (reconWeight !== null && decoder === 'gaussian') {
    throw new UsageError('--recon-weight sets its own MSE reconstruction term; do not combine it with --decoder gaussian');
  }
  return {
    ...common,
    beta: finiteNumber(input.beta ?? 1, 'beta', { min: 0 }),
    klWarmup: finiteNumber(input.klWarmup ?? 0, 'kl-warmup', { min: 0 }),
    decoder,
    sigma: resolveSigma(input.sigma, decoder),
    reconWeight,
  };
}
