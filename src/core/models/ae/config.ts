import { UsageError } from '../../errors.js';
import { COMMON_KEYS, oneOf, rejectUnknownKeys, resolveCommon } from '../shared/config.js';
import type { CommonConfig, ConfigOption, DataInfo } from '../types.js';

export const RECON_LOSSES = ['bce', 'mse'] as const;
export type ReconLoss = (typeof RECON_LOSSES)[number];

export interface AeConfig extends CommonConfig {
  /** bce: sigmoid output, binary cross-entropy (data in [0, 1]); mse: linear output, squared error. */
  loss: ReconLoss;
}

export const AE_OPTIONS: readonly ConfigOption[] = [
  { flag: 'loss', type: 'string', choices: RECON_LOSSES, description: 'reconstruction loss: bce (sigmoid output; default) or mse (linear output; default with --activation linear and for standardized tables)' },
];

export const AE_KEYS = [...COMMON_KEYS, 'loss'] as const;

/**
 * The settings every deterministic autoencoder shares. `extraKeys` are the
 * subclass's own fields, so that anything else is refused by name.
 */
export function resolveAeFields(model: string, input: Record<string, unknown>, data: DataInfo, extraKeys: readonly string[] = []): AeConfig {
  rejectUnknownKeys(input, [...AE_KEYS, ...extraKeys], model);
  const common = resolveCommon(model, input, data, { hidden: [512, 256], latent: 32, activation: 'relu' });
  // Real-valued data (standardized table columns) is not in [0, 1], where BCE is meaningless.
  const real = data.domain === 'real';
  const loss = oneOf(input.loss ?? (common.activation === 'linear' || real ? 'mse' : 'bce'), 'loss', RECON_LOSSES);
  if (real && loss === 'bce') throw new UsageError('--loss bce needs data in [0, 1]; these values are real (standardized), use --loss mse or --scale minmax');
  if (common.latent >= data.shape[0] * data.shape[1] * data.shape[2]) {
    throw new UsageError(`--latent ${common.latent} is not smaller than the input (${data.shape.join('×')}): an undercomplete autoencoder needs a bottleneck`);
  }
  return { ...common, loss };
}
