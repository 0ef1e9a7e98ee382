import { describe, expect, it } from 'vitest';
import { detectorTrainingRequest } from './recipe.js';

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
