import { z } from 'zod';
import { FieldError } from '../../errors.js';
import { described } from '../../requests/fields.js';
import { COMMON_KEYS, parseOptions, rejectUnknownKeys, resolveCommon } from '../shared/config.js';
import type { CommonConfig, DataInfo } from '../types.js';

export const RECON_LOSSES = ['bce', 'mse'] as const;
export type ReconLoss = (typeof RECON_LOSSES)[number];

export interface AeConfig extends CommonConfig {
  /** bce: sigmoid output, binary cross-entropy (data in [0, 1]); mse: linear output, squared error. */
  loss: ReconLoss;
}

/** Settings of every deterministic autoencoder (`dae`, `sae`, `cae` extend them). */
export const AE_OPTIONS = z.object({
  loss: described(z.enum(RECON_LOSSES).optional(), {
    arg: 'NAME',
    description: 'reconstruction loss: bce (sigmoid output) or mse (linear output)',
    defaultText: 'bce; mse with activation linear and for standardized tables',
  }),
});

export const AE_KEYS = [...COMMON_KEYS, ...Object.keys(AE_OPTIONS.shape)] as const;

/**
 * The settings every deterministic autoencoder shares. `extraKeys` are the
 * subclass's own fields, so that anything else is refused by name.
 */
export function resolveAeFields(model: string, input: Record<string, unknown>, data: DataInfo, extraKeys: readonly string[] = []): AeConfig {
  rejectUnknownKeys(input, [...AE_KEYS, ...extraKeys], model);
  const common = resolveCommon(model, input, data, { hidden: [512, 256], latent: 32, activation: 'relu' });
  const options = parseOptions(AE_OPTIONS, input);
  // Real-valued data (standardized table columns) is not in [0, 1], where BCE is meaningless.
  const real = data.domain === 'real';
  const loss = options.loss ?? (common.activation === 'linear' || real ? 'mse' : 'bce');
  if (real && loss === 'bce') throw new FieldError('loss', 'bce needs data in [0, 1]; these values are real (standardized): use mse, or scale minmax');
  const inputSize = data.shape[0] * data.shape[1] * data.shape[2];
  if (common.latent >= inputSize) {
    throw new FieldError('latent', `${common.latent} is not smaller than the input (${data.shape.join('×')}): an undercomplete autoencoder needs a bottleneck`);
  }
  return { ...common, loss };
}
