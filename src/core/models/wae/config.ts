import { z } from 'zod';
import { described } from '../../requests/fields.js';
import { AE_OPTIONS, resolveAeFields, type AeConfig } from '../ae/config.js';
import { parseOptions } from '../shared/config.js';
import type { DataInfo } from '../types.js';

export interface WaeConfig extends AeConfig {
  /** λ in recon + λ·MMD²(q(z), N(0, I)). */
  mmdWeight: number;
}

/** λ = 10, the WAE paper's value for MNIST with the IMQ kernel. */
export const DEFAULT_MMD_WEIGHT = 10;

export const WAE_OPTIONS = AE_OPTIONS.extend({
  mmdWeight: described(z.number().min(0).max(1e6).default(DEFAULT_MMD_WEIGHT), { arg: 'λ', description: 'weight λ of MMD²(codes, N(0, I)), IMQ kernel' }),
});

export function resolveWaeConfig(input: Record<string, unknown>, data: DataInfo): WaeConfig {
  const ae = resolveAeFields('wae', input, data, ['mmdWeight']);
  return { ...ae, mmdWeight: parseOptions(WAE_OPTIONS, input).mmdWeight };
}
