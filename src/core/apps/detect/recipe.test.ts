import { describe, expect, it } from 'vitest';
import { DETECTOR_MAX_STEPS, DETECTOR_MIN_EPOCHS, DETECTOR_MIN_STEPS, DETECTOR_PATIENCE_STEPS, DETECTOR_VALIDATION, detectorEpochs, detectorRecipe, detectorTrainingRequest, isSmallData } from './recipe.js';

describe('detectorTrainingRequest', () => {
  it('fills ae with the squared-error loss when no model is named, under what the user gave', () => {
    expect(detectorTrainingRequest({ dataset: 'mnist', classes: [3], model: undefined })).toEqual({ model: 'ae', loss: 'mse', dataset: 'mnist', classes: [3] });
    expect(detectorTrainingRequest({ loss: 'bce', latent: 8 })).toEqual({ model: 'ae', loss: 'bce', latent: 8 });
  });

  it('leaves a named model with its own defaults', () => {
    expect(detectorTrainingRequest({ model: 'ae', dataset: 'mnist' })).toEqual({ model: 'ae', dataset: 'mnist' });
    expect(detectorTrainingRequest({ model: 'vae' })).toEqual({ model: 'vae' });
  });

  it('trains the VAE for the likelihood scores, which need q(z|x)', () => {
    expect(detectorTrainingRequest({ dataset: 'mnist' }, 'elbo')).toEqual({ model: 'vae', dataset: 'mnist' });
    expect(detectorTrainingRequest({}, 'iwae')).toEqual({ model: 'vae' });
    expect(detectorTrainingRequest({}, 'recon')).toEqual({ model: 'ae', loss: 'mse' });
  });
});

describe('detectorEpochs', () => {
  it('trains a small table for DETECTOR_MIN_STEPS optimizer steps', () => {
    // 148 rows in batches of 128: 2 steps an epoch, so 100 epochs make 200 steps.
    expect(detectorEpochs(148, 128)).toBe(100);
    // 399 rows: 4 steps an epoch (the last batch partial), 50 epochs.
    expect(detectorEpochs(399, 128)).toBe(50);
    // 3 rows, one step an epoch.
    expect(detectorEpochs(3, 128)).toBe(DETECTOR_MIN_STEPS);
    // 1000 rows in batches of 64: 16 steps an epoch, ⌈200 / 16⌉ = 13 epochs (208 steps).
    expect(detectorEpochs(1000, 64)).toBe(13);
  });

  it('keeps the ten epochs of the training default when they already make DETECTOR_MIN_STEPS steps', () => {
    // One MNIST digit: the smallest class (5) has 5,421 training images, 43 steps an epoch.
    expect(detectorEpochs(5421, 128)).toBe(DETECTOR_MIN_EPOCHS);
    expect(detectorEpochs(20 * 128, 128)).toBe(DETECTOR_MIN_EPOCHS);
    expect(detectorEpochs(19 * 128, 128)).toBe(11);
    expect(detectorEpochs(36_000, 128)).toBe(DETECTOR_MIN_EPOCHS);
  });

  it('never trains fewer steps than asked, nor an epoch more than needed', () => {
    for (const batch of [1, 7, 128, 1000]) {
      for (const n of [1, 2, 50, 127, 128, 129, 999, 5000, 60_000]) {
        const epochs = detectorEpochs(n, batch);
        const steps = Math.ceil(n / batch);
        expect(epochs).toBeGreaterThanOrEqual(DETECTOR_MIN_EPOCHS);
        expect(epochs * steps).toBeGreaterThanOrEqual(DETECTOR_MIN_STEPS);
        if (epochs > DETECTOR_MIN_EPOCHS) expect((epochs - 1) * steps).toBeLessThan(DETECTOR_MIN_STEPS);
      }
    }
  });
});

describe('detectorRecipe', () => {
  it('without early stopping is detectorEpochs', () => {
    expect(detectorRecipe(5421, { batchSize: 128 })).toEqual({ epochs: DETECTOR_MIN_EPOCHS });
    expect(detectorRecipe(20 * 128, { batchSize: 128 })).toEqual({ epochs: DETECTOR_MIN_EPOCHS });
  });

  it('on small data (ten epochs under DETECTOR_MIN_STEPS steps) stops early: up to DETECTOR_MAX_STEPS steps, patience about DETECTOR_PATIENCE_STEPS', () => {
    expect(isSmallData(19 * 128, 128)).toBe(true);
    expect(isSmallData(20 * 128, 128)).toBe(false);
    // 500 rows, 400 trained on after holding out 0.2: 4 steps an epoch.
    expect(detectorRecipe(500, { batchSize: 128 })).toEqual({ epochs: DETECTOR_MAX_STEPS / 4, validation: DETECTOR_VALIDATION, patience: DETECTOR_PATIENCE_STEPS / 4 });
    // The user's fraction and patience win; 1000 rows with 0.5 held out: 500 rows, 8 steps.
    expect(detectorRecipe(1000, { batchSize: 64, validation: 0.5, patience: 7 })).toEqual({ epochs: DETECTOR_MAX_STEPS / 8, validation: 0.5, patience: 7 });
    // Large data stops early only when asked, and never trains fewer than the training default's epochs.
    expect(detectorRecipe(1_000_000, { batchSize: 128, validation: 0.2 }).epochs).toBe(DETECTOR_MIN_EPOCHS);
  });
});
