/**
 * What `detect fit` trains when the user names no model. On one-class MNIST
 * (bench/oneclass.js) the sum of squared errors separates normal from
 * anomalous images better than the binary cross-entropy, both as the training
 * loss and as the score: BCE summed over pixels grows with the amount of ink
 * and punishes confident pixels without bound, so thick or large normal
 * digits outscore thin anomalies. An `ae` trained on squared error (whose
 * score is then squared error too, see reconMeasureFor) matches or beats PCA
 * reconstruction error, which a BCE-trained model does not.
 *
 * With no --epochs, the recipe trains for a number of optimizer steps rather
 * than a number of epochs: a small table (a few hundred normal rows, two or
 * three batches) gets only some twenty steps in ten epochs, and its
 * reconstruction error then still measures the untrained network more than
 * the data. Too many steps overfit instead: on bench/oneclass_tables.py,
 * Ionosphere (two batches) rose from 0.89 ROC-AUC at 20 steps to 0.96-0.99 at
 * 200-400, while the breast-cancer table (three batches) fell from 0.96 at
 * 100 steps to 0.95 at 200 and 0.92 at 400; 200 is the compromise. One class
 * of MNIST (over 5,400 images, 43 batches) and any table of 2,433 or more
 * training rows already take 200 steps in ten epochs, so they train exactly
 * as before.
 *
 * No fixed count suits every small table, so on small data (where ten epochs
 * make fewer than DETECTOR_MIN_STEPS steps) the recipe lets held-out loss
 * choose: it holds out a fifth of the training rows, trains up to
 * DETECTOR_MAX_STEPS steps, stops after about DETECTOR_PATIENCE_STEPS steps
 * without a lower held-out loss and keeps the best epoch's weights. On the
 * bench this lifted Glass from 0.56 to 0.69 ROC-AUC (its held-out loss kept
 * falling to some 200 steps, then rose) and cost Ionosphere 0.016 (0.977 to
 * 0.961, with a fifth fewer rows to learn from). Larger data keeps the fixed
 * schedule: one MNIST digit is unchanged.
 */
import { BOUND_SCORES } from '../../requests/jobs.js';
import type { ScoreKind } from './scores.js';

/** The detector's own model settings when no --model is given. */
export const DETECTOR_MODEL_DEFAULTS: Readonly<Record<string, unknown>> = { model: 'ae', loss: 'mse' };

/** Optimizer steps the detector trains for at least when no --epochs is given. */
export const DETECTOR_MIN_STEPS = 200;
/** Epochs the detector trains for at least (the training default). */
export const DETECTOR_MIN_EPOCHS = 10;

/** Epochs for `examples` training rows in batches of `batchSize`: DETECTOR_MIN_STEPS steps, and never fewer than DETECTOR_MIN_EPOCHS. */
export function detectorEpochs(examples: number, batchSize: number): number {
  const steps = Math.max(1, Math.ceil(examples / batchSize));
  return Math.max(DETECTOR_MIN_EPOCHS, Math.ceil(DETECTOR_MIN_STEPS / steps));
}

/** Training rows held out for early stopping on small data. */
export const DETECTOR_VALIDATION = 0.2;
/** Most optimizer steps with early stopping; held-out loss usually stops training well before. */
export const DETECTOR_MAX_STEPS = 2000;
/** Optimizer steps without a lower held-out loss before early stopping ends training. */
export const DETECTOR_PATIENCE_STEPS = 100;

/** Whether `examples` rows are small data, where the recipe stops early: ten epochs make fewer than DETECTOR_MIN_STEPS steps. */
export function isSmallData(examples: number, batchSize: number): boolean {
  return detectorEpochs(examples, batchSize) > DETECTOR_MIN_EPOCHS;
}

/** The settings `detect fit` chooses once the training rows are counted (no --epochs given). */
export interface DetectorRecipe {
  epochs: number;
  validation?: number;
  patience?: number;
}

/**
 * The training length of `detect fit` for `examples` rows: with early
 * stopping (a validation fraction given, or DETECTOR_VALIDATION on small
 * data), up to DETECTOR_MAX_STEPS steps with a patience of about
 * DETECTOR_PATIENCE_STEPS; without, {@link detectorEpochs}.
 */
export function detectorRecipe(examples: number, request: { batchSize: number; validation?: number; patience?: number }): DetectorRecipe {
  const validation = request.validation ?? (isSmallData(examples, request.batchSize) ? DETECTOR_VALIDATION : undefined);
  if (validation === undefined) return { epochs: detectorEpochs(examples, request.batchSize) };
  const steps = Math.max(1, Math.ceil(Math.max(1, Math.round(examples * (1 - validation))) / request.batchSize));
  return { epochs: Math.max(DETECTOR_MIN_EPOCHS, Math.ceil(DETECTOR_MAX_STEPS / steps)), validation, patience: request.patience ?? Math.ceil(DETECTOR_PATIENCE_STEPS / steps) };
}

/**
 * The training request of `detect fit`: with no model named, the detector
 * recipe under the settings the user gave. The likelihood scores (elbo, iwae)
 * need q(z|x), so for them it is the VAE, as for `train`.
 */
export function detectorTrainingRequest(request: Record<string, unknown>, score: ScoreKind = 'recon'): Record<string, unknown> {
  if (request.model !== undefined) return request;
  const given = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
  return { ...(BOUND_SCORES.includes(score) ? { model: 'vae' } : DETECTOR_MODEL_DEFAULTS), ...given };
}
