import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { MemoryRunStore, textBytes } from '../../run/store.js';
import { DETECTOR_FILE, readDetector, writeDetector, DETECTOR_FORMAT, type DetectorFile } from './detector.js';

const detector: DetectorFile = {
  format: DETECTOR_FORMAT,
  formatVersion: 1,
  score: { kind: 'iwae', samples: 16, seed: 3, measure: 'bce' },
  threshold: 123.5,
  rule: { quantile: 0.99, contamination: 0.01 },
  calibration: { dataset: 'mnist', split: 'train', examples: 10, classes: [3], minScore: 1, meanScore: 2, maxScore: 3, flagged: 1 },
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('detector.json', () => {
  it('round-trips through a run store', async () => {
    const store = new MemoryRunStore('runs/a');
    await writeDetector(store, detector);
    expect(await readDetector(store)).toEqual(detector);
    expect([...store.files.keys()]).toEqual([DETECTOR_FILE]);
  });

  it('refuses a missing, corrupt, foreign or newer file with one clear line', async () => {
    const store = new MemoryRunStore('runs/a');
    await expect(readDetector(store)).rejects.toThrow(/detect fit --run runs\/a/);
    const put = (text: string) => store.write(DETECTOR_FILE, textBytes(text));
    await put('{"format": "latentkit-det');
    await expect(readDetector(store)).rejects.toThrow(/corrupt runs\/a\/detector.json/);
    await put(JSON.stringify({ format: 'something-else' }));
    await expect(readDetector(store)).rejects.toThrow(/not a latentkit detector/);
    await put(JSON.stringify({ ...detector, formatVersion: 2 }));
    await expect(readDetector(store)).rejects.toThrow(/newer latentkit/);
    await put(JSON.stringify({ ...detector, threshold: null }));
    await expect(readDetector(store)).rejects.toThrow(UsageError);
    // recon-code needs the code density it was calibrated with.
    const code = { mean: [0, 1], components: [1, 0, 0, 1], variances: [0.5, 2], recon: { mean: 1, sd: 2 }, distance: { mean: 2, sd: 1 } };
    await put(JSON.stringify({ ...detector, score: { kind: 'recon-code', samples: 64, seed: 0, measure: 'squared-error', code } }));
    expect((await readDetector(store)).score.code).toEqual(code);
    await put(JSON.stringify({ ...detector, score: { kind: 'recon-code', samples: 64, seed: 0, measure: 'squared-error' } }));
    await expect(readDetector(store)).rejects.toThrow(/corrupt/);
    await put(JSON.stringify({ ...detector, score: { kind: 'recon-code', samples: 64, seed: 0, measure: 'squared-error', code: { ...code, variances: [0.5, 0] } } }));
    await expect(readDetector(store)).rejects.toThrow(/corrupt/);
  });
});
