// How many threads a training run uses: the default, the environment override, and the limits.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.js';
import { defaultWorkers } from './engines.js';

describe('defaultWorkers', () => {
  it('is one replica unless LATENTKIT_WORKERS says otherwise', () => {
    expect(defaultWorkers({})).toBe(1);
    expect(defaultWorkers({ LATENTKIT_WORKERS: '' })).toBe(1);
    expect(defaultWorkers({ LATENTKIT_WORKERS: '1' })).toBe(1);
    expect(defaultWorkers({ LATENTKIT_WORKERS: '3' })).toBe(3);
  });

  it('refuses a LATENTKIT_WORKERS that is not a positive integer, naming it', () => {
    for (const bad of ['0', '-2', '1.5', 'two']) {
      expect(() => defaultWorkers({ LATENTKIT_WORKERS: bad })).toThrow(UsageError);
      expect(() => defaultWorkers({ LATENTKIT_WORKERS: bad })).toThrow(/LATENTKIT_WORKERS/);
    }
  });
});
