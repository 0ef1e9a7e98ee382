import { z } from 'zod';
import { described } from '../../requests/fields.js';
import { parseOptions } from '../shared/config.js';
import type { DataInfo } from '../types.js';
import { resolveVaeFields, VAE_OPTIONS, type VaeConfig } from '../vae/config.js';

/** How raw pseudo-input weights map to data space: σ keeps them in [0, 1] for unit-range data. */
export const PSEUDO_INPUT_ACTIVATIONS = ['sigmoid', 'linear'] as const;
export type PseudoInputActivation = (typeof PSEUDO_INPUT_ACTIVATIONS)[number];

/** Where pseudo-inputs start: near-uniform grey (the authors' default) or K random training examples (their --use_training_data_init). */
export const PSEUDO_INITS = ['grey', 'data'] as const;
export type PseudoInit = (typeof PSEUDO_INITS)[number];

/**
 * hardtanh: the encoder's log σ² is clipped to [−6, 2], as the authors' code
 * does (its q_z_logvar layer ends in Hardtanh(−6, 2)), for the posteriors and
 * the prior's components alike; gradients are zero outside the range. off:
 * unclipped, the default: a short MNIST check did not show the clamp helping,
 * and runs without the field behave the same.
 */
export const LOG_VAR_CLAMPS = ['hardtanh', 'off'] as const;
export type LogVarClamp = (typeof LOG_VAR_CLAMPS)[number];

/** The authors' Hardtanh range for log σ². */
export const LOG_VAR_RANGE = { min: -6, max: 2 } as const;

export interface VampConfig extends VaeConfig {
  /** K: pseudo-inputs u_k, the components of the prior (1/K) Σ_k q(z|u_k). */
  pseudoInputs: number;
  /**
   * 'sigmoid' for data in [0, 1] (u = σ(w), as the authors' code does for
   * binary and grey images), 'linear' for real-valued (standardized) data.
   * Fixed by the data when the run starts, then read back from config.json.
   */
  pseudoInputActivation: PseudoInputActivation;
  pseudoInit: PseudoInit;
  /** Absent in runs that predate it: off. */
  logVarClamp?: LogVarClamp;
}

/** K = 500, the paper's value for MNIST. */
export const DEFAULT_PSEUDO_INPUTS = 500;

export const VAMP_OPTIONS = VAE_OPTIONS.extend({
  pseudoInputs: described(z.int().min(1).max(100_000).default(DEFAULT_PSEUDO_INPUTS), { arg: 'K', description: 'learned pseudo-inputs u_k; the prior is the mixture (1/K) Σ_k q(z|u_k) (VampPrior)' }),
  pseudoInit: described(z.enum(PSEUDO_INITS).default('grey'), { arg: 'FROM', description: 'where the pseudo-inputs start: grey (near-uniform images) or data (K random training examples)' }),
  logVarClamp: described(z.enum(LOG_VAR_CLAMPS).default('off'), {
    arg: 'MODE',
    description: `hardtanh: clip the encoder's log σ² to [${LOG_VAR_RANGE.min}, ${LOG_VAR_RANGE.max}] as the authors' code does (no gradient outside); off: unclipped`,
  }),
});

/** The VAE's settings plus K, and the pseudo-inputs' range from the data. */
export function resolveVampConfig(input: Record<string, unknown>, data: DataInfo): VampConfig {
  const vae = resolveVaeFields('vamp', input, data, ['pseudoInputs', 'pseudoInputActivation', 'pseudoInit', 'logVarClamp']);
  const saved = input.pseudoInputActivation;
  const pseudoInputActivation = PSEUDO_INPUT_ACTIVATIONS.find((a) => a === saved) ?? (data.domain === 'real' ? 'linear' : 'sigmoid');
  const options = parseOptions(VAMP_OPTIONS, input);
  return { ...vae, model: 'vamp', pseudoInputs: options.pseudoInputs, pseudoInputActivation, pseudoInit: options.pseudoInit, logVarClamp: options.logVarClamp };
}
