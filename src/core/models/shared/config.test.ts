import { describe, expect, it } from 'vitest';
import { listModelDefinitions, getModelDefinition } from '../registry.js';
import { sizedHidden, sizedLatent } from './config.js';

const table = (columns: number) => ({ shape: [1, columns, 1] as [number, number, number], numClasses: 2, domain: 'real' as const });
const mnist = { shape: [28, 28, 1] as [number, number, number], numClasses: 10 };

describe('defaults sized to the input', () => {
  it('keep the MNIST defaults at 784 inputs and above', () => {
    expect(sizedLatent(32, 784)).toBe(32);
    expect(sizedHidden([512, 256], 784, 32)).toEqual([512, 256]);
    expect(sizedLatent(20, 4096)).toBe(20);
    expect(sizedHidden([400], 4096, 20)).toEqual([400]);
  });

  it('give a 30-column table a code of ⌊30/4⌋ and widths scaled by 30/512 (hand-computed)', () => {
    expect(sizedLatent(32, 30)).toBe(7);
    // 512·30/512 = 30, 256·30/512 = 15
    expect(sizedHidden([512, 256], 30, 7)).toEqual([30, 15]);
    // 400·30/400 = 30
    expect(sizedHidden([400], 30, 7)).toEqual([30]);
  });

  it('never go below the code or below one unit', () => {
    expect(sizedLatent(32, 3)).toBe(1);
    expect(sizedLatent(32, 1)).toBe(1);
    // 512·8/512 = 8, 256·8/512 = 4, but never below a code of 6
    expect(sizedHidden([512, 256], 8, 6)).toEqual([8, 6]);
  });

  it('make every model resolve on a 30-column table with a bottleneck, and keep MNIST configs', () => {
    const expectedMnist: Record<string, { hidden: number[]; latent: number }> = { ae: { hidden: [512, 256], latent: 32 }, vae: { hidden: [400], latent: 20 } };
    for (const def of listModelDefinitions()) {
      const extra = def.name === 'sae' ? { k: 2 } : {};
      const config = def.resolveConfig({ ...extra }, table(30));
      expect(config.latent, def.name).toBeLessThan(30);
      expect(Math.max(...config.hidden), def.name).toBeLessThanOrEqual(30);
      expect(Math.min(...config.hidden), def.name).toBeGreaterThanOrEqual(config.latent);
      if (expectedMnist[def.name]) expect(def.resolveConfig({}, mnist), def.name).toMatchObject(expectedMnist[def.name]!);
    }
  });

  it('keep what the user gives, and widen default hidden layers to a given code', () => {
    const def = getModelDefinition('ae');
    expect(def.resolveConfig({ latent: 12 }, table(30))).toMatchObject({ hidden: [30, 15], latent: 12 });
    expect(def.resolveConfig({ latent: 20 }, table(30))).toMatchObject({ hidden: [30, 20], latent: 20 });
    expect(def.resolveConfig({ hidden: [64], latent: 3 }, table(30))).toMatchObject({ hidden: [64], latent: 3 });
    expect(() => def.resolveConfig({ latent: 30 }, table(30))).toThrow(/bottleneck/);
  });
});
