/**
 * Settings of the sparse autoencoder. Two ways to make the code sparse, usable
 * alone or together (at least one is required):
 *   k                          k-sparse code: keep the K largest |z_j|, zero the rest
 *   sparsity kl|l1|l2 ...      a penalty on the activations of the encoder's hidden layers
 */
import { z } from 'zod';
import { FieldError } from '../../errors.js';
import { described } from '../../requests/fields.js';
import { AE_OPTIONS, resolveAeFields, type AeConfig } from '../ae/config.js';
import { parseOptions } from '../shared/config.js';
import type { DataInfo } from '../types.js';
import { SPARSITY_PENALTIES, type SparsityPenalty } from './sparsity.js';

export interface SaeConfig extends AeConfig {
  /** k-sparse code: the number of code units kept per example (1 ≤ k ≤ latent), or null for off. */
  k: number | null;
  /**
   * Penalty on the activations of the encoder's hidden layers (the `--hidden`
   * layers, after their activation), or null for off. The code layer is not
   * penalised: it is a linear head, so its values are unbounded and signed and
   * have no "mean activation"; `--k` is the way to sparsify the code itself.
   *
   * - kl: Σ_units KL(ρ ‖ ρ̂) with ρ̂ the unit's mean activation over the batch
   *   (needs sigmoid hidden units);
   * - l1: mean over the batch of Σ_units |h|;
   * - l2: mean over the batch of Σ_units h².
   */
  sparsity: SparsityPenalty | null;
  /** kl only: the target mean activation ρ of every hidden unit, in (0, 1); null otherwise. */
  rho: number | null;
  /**
   * One weight per hidden layer (in `--hidden` order); the loss adds
   * Σ_layers weight·penalty. Empty when `sparsity` is null.
   */
  sparsityWeight: number[];
}

/** ρ of Ng's sparse autoencoder notes. */
export const DEFAULT_RHO = 0.05;

/**
 * Default weight per layer, per penalty. On MNIST with the default 512-256
 * encoder (one epoch of 20,000 images): kl 0.1 already pulls the mean sigmoid
 * activation from about 0.5 toward ρ (larger weights change little, since Adam
 * rescales the encoder's gradient, dominated by the penalty); l1 0.01 cuts
 * Σ|h| from about 320 to 120 per image for about 4 nats of reconstruction,
 * while 0.1 silences most of the first layer.
 */
export const DEFAULT_SPARSITY_WEIGHT: Record<SparsityPenalty, number> = { kl: 0.1, l1: 0.01, l2: 0.01 };

export const SAE_OPTIONS = AE_OPTIONS.extend({
  k: described(z.int().min(1).optional(), { arg: 'K', description: 'k-sparse code: keep the K largest |z| of each code (1 ≤ K ≤ latent), zero the rest' }),
  sparsity: described(z.enum(SPARSITY_PENALTIES).optional(), {
    arg: 'NAME',
    description: "penalty on the encoder's hidden-layer activations (not the code): kl (toward mean activation rho; sigmoid units), l1 (Σ|h|) or l2 (Σh²)",
  }),
  rho: described(z.number().gt(0).lt(1).optional(), { arg: 'ρ', description: 'sparsity kl: target mean activation of each hidden unit, in (0, 1)', defaultText: String(DEFAULT_RHO) }),
  sparsityWeight: described(z.array(z.number().min(0).max(1e6)).min(1).optional(), {
    arg: 'LIST',
    description: 'weight of the sparsity penalty: one, or one per hidden layer (comma list)',
    defaultText: `kl ${DEFAULT_SPARSITY_WEIGHT.kl}, l1 ${DEFAULT_SPARSITY_WEIGHT.l1}, l2 ${DEFAULT_SPARSITY_WEIGHT.l2}`,
  }),
});

export const SAE_KEYS = ['k', 'sparsity', 'rho', 'sparsityWeight'] as const;

type SaeOptions = z.output<typeof SAE_OPTIONS>;

function resolveK(k: number | undefined, latent: number): number | null {
  if (k === undefined) return null;
  if (k > latent) throw new FieldError('k', `${k} is larger than {{latent}} ${latent}: a code keeps at most all of its units`);
  return k;
}

function resolveRho(rho: number | undefined, sparsity: SparsityPenalty | null): number | null {
  if (sparsity !== 'kl') {
    if (rho !== undefined) throw new FieldError('rho', 'is the target mean activation of {{sparsity}} kl; it does not apply without it');
    return null;
  }
  return rho ?? DEFAULT_RHO;
}

function resolveWeights(value: number[] | undefined, sparsity: SparsityPenalty | null, hidden: readonly number[]): number[] {
  if (sparsity === null) {
    if (value !== undefined) throw new FieldError('sparsityWeight', 'weighs the {{sparsity}} penalty; choose one of kl, l1, l2');
    return [];
  }
  const weights = value ?? [DEFAULT_SPARSITY_WEIGHT[sparsity]];
  if (weights.length === 1) return hidden.map(() => weights[0]);
  if (weights.length !== hidden.length) {
    throw new FieldError(
      'sparsityWeight',
      `has ${weights.length} weights but the encoder has ${hidden.length} hidden layers ({{hidden}} ${hidden.join(',')}): give one weight for all, or one per hidden layer`,
    );
  }
  return weights;
}

/**
 * Check and complete a user's sae settings. With sparsity kl and no
 * activation given, the hidden activation defaults to sigmoid (KL compares
 * mean activations with ρ as probabilities, so any other activation is refused).
 *
 * @throws UsageError when neither k nor sparsity is set, k is outside
 *   [1, latent], rho is given without kl, the number of weights is neither 1
 *   nor the number of hidden layers, kl is asked of non-sigmoid units, or
 *   sparsity is used with a non-MLP encoder
 */
export function resolveSaeConfig(input: Record<string, unknown>, data: DataInfo): SaeConfig {
  const options: SaeOptions = parseOptions(SAE_OPTIONS, input);
  const sparsity = options.sparsity ?? null;
  const withDefaults = sparsity === 'kl' && input.activation === undefined ? { ...input, activation: 'sigmoid' } : input;
  const base = resolveAeFields('sae', withDefaults, data, SAE_KEYS);
  const k = resolveK(options.k, base.latent);
  if (k === null && sparsity === null) {
    throw new FieldError(
      'k',
      "or {{sparsity}} is needed: model 'sae' needs a sparsity constraint, k-sparse codes (keep the K largest |z|, zero the rest) and/or a kl, l1 or l2 penalty on the hidden-layer activations",
    );
  }
  if (sparsity === 'kl' && base.activation !== 'sigmoid') {
    throw new FieldError('sparsity', `kl treats mean activations as probabilities and needs sigmoid hidden units ({{activation}} sigmoid), got {{activation}} ${base.activation}`);
  }
  if (sparsity !== null && base.arch !== 'mlp') throw new FieldError('sparsity', `penalises the hidden layers of the MLP encoder; it is not available with {{arch}} ${base.arch}`);
  return { ...base, k, sparsity, rho: resolveRho(options.rho, sparsity), sparsityWeight: resolveWeights(options.sparsityWeight, sparsity, base.hidden) };
}
