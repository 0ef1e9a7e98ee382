/** Settings of the conditional VAE: the VAE's, plus a check that the data has classes to condition on. */
import { UsageError } from '../../errors.js';
import { resolveVaeFields, VAE_OPTIONS, type VaeConfig } from '../vae/config.js';
import type { DataInfo } from '../types.js';

/**
 * The conditional VAE uses every VAE field unchanged; `numClasses` (from the
 * data) is the width of the one-hot label both networks receive.
 */
export type CvaeConfig = VaeConfig;

/** Same settings as the VAE: β, KL warm-up, decoder likelihood, σ, reconstruction weight. */
export const CVAE_OPTIONS = VAE_OPTIONS;

/**
 * Check and complete a user's cvae settings.
 *
 * @throws UsageError for any bad VAE setting, or data with fewer than two classes
 *   (conditioning on a label that never varies teaches the model nothing)
 */
export function resolveCvaeConfig(input: Record<string, unknown>, data: DataInfo): CvaeConfig {
  const config = resolveVaeFields('cvae', input, data);
  if (!Number.isInteger(config.numClasses) || config.numClasses < 2) {
    throw new UsageError(`model 'cvae' conditions on class labels and needs a dataset with at least 2 classes; this one has ${config.numClasses}`);
  }
  return config;
}
