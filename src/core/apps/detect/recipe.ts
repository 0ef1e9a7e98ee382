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

/** The detector's own model settings when no --model is given. */
export const DETECTOR_MODEL_DEFAULTS: Readonly<Record<string, unknown>> = { model: 'ae', loss: 'mse' };

/** The training request of `detect fit`: with no model named, the detector recipe under the settings the user gave. */
export function detectorTrainingRequest(request: Record<string, unknown>): Record<string, unknown> {
  if (request.model !== undefined) return request;
  const given = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
  return { ...DETECTOR_MODEL_DEFAULTS, ...given };
}
