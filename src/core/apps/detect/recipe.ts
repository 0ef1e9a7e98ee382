/**
 * What `detect fit` trains when the user names no model. On one-class MNIST
 * (bench/oneclass.js) the sum of squared errors separates normal from
 * anomalous images better than the binary cross-entropy, both as the training
 * loss and as the score: BCE summed over pixels grows with the amount of ink
 * and punishes confident pixels without bound, so thick or large normal
 * digits outscore thin anomalies. An `ae` trained on squared error (whose
 * score is then squared error too, see reconMeasureFor) matches or beats PCA
 * reconstruction error, which a BCE-trained model does not.
 */
import type { ScoreKind } from './scores.js';

/** The detector's own model settings when no --model is given. */
export const DETECTOR_MODEL_DEFAULTS: Readonly<Record<string, unknown>> = { model: 'ae', loss: 'mse' };

/**
 * The training request of `detect fit`: with no model named, the detector
 * recipe under the settings the user gave. The likelihood scores (elbo, iwae)
 * need q(z|x), so for them it is the VAE, as for `train`.
 */
export function detectorTrainingRequest(request: Record<string, unknown>, score: ScoreKind = 'recon'): Record<string, unknown> {
  if (request.model !== undefined) return request;
  const given = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
  return { ...(score === 'recon' ? DETECTOR_MODEL_DEFAULTS : { model: 'vae' }), ...given };
}
