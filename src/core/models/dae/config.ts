import { z } from 'zod';
import { described } from '../../requests/fields.js';
import { checkedBy } from '../../requests/validate.js';
import { AE_OPTIONS, resolveAeFields, type AeConfig } from '../ae/config.js';
import { parseOptions } from '../shared/config.js';
import type { DataInfo } from '../types.js';
import { NOISE_FORMAT, noiseSpec, parseNoise, type NoiseSpec } from './noise-spec.js';

export interface DaeConfig extends AeConfig {
  /** The corruption applied to the encoder's input while training. */
  noise: NoiseSpec;
}

/**
 * Masking 30% of the pixels: enough that a near-identity map no longer
 * reconstructs well, little enough that the default network still learns
 * MNIST quickly (test recon 95.1 nats after 3 epochs).
 */
export const DEFAULT_NOISE = 'mask:0.3';

export const DAE_OPTIONS = AE_OPTIONS.extend({
  noise: described(z.union([z.string(), noiseSpec]).superRefine(checkedBy(parseNoise)).default(DEFAULT_NOISE), {
    arg: 'SPEC',
    description: `input corruption while training, ${NOISE_FORMAT}`,
  }),
});

/** Everything an `ae` has, plus the parsed noise spec. */
export function resolveDaeFields(model: string, input: Record<string, unknown>, data: DataInfo, extraKeys: readonly string[] = []): DaeConfig {
  const ae = resolveAeFields(model, input, data, ['noise', ...extraKeys]);
  return { ...ae, noise: parseNoise(parseOptions(DAE_OPTIONS, input).noise) };
}
