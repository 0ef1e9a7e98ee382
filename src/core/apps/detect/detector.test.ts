import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers.js';
import { UsageError } from '../../errors.js';
import { detectorPath, readDetector, writeDetector, DETECTOR_FORMAT, type DetectorFile } from './detector.js';

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
  it('round-trips and leaves no temporary files', () => {
    const dir = tempDir();
    writeDetector(dir, detector);
    expect(readDetector(dir)).toEqual(detector);
    expect(fs.readdirSync(dir)).toEqual(['detector.json']);
  });

  it('refuses a missing, corrupt, foreign or newer file with one clear line', () => {
    const dir = tempDir();
    expect(() => readDetector(dir)).toThrow(/detect fit --run/);
    fs.writeFileSync(detectorPath(dir), '{"format": "latentkit-det');
    expect(() => readDetector(dir)).toThrow(/corrupt/);
    fs.writeFileSync(detectorPath(dir), JSON.stringify({ format: 'something-else' }));
    expect(() => readDetector(dir)).toThrow(/not a latentkit detector/);
    fs.writeFileSync(detectorPath(dir), JSON.stringify({ ...detector, formatVersion: 2 }));
    expect(() => readDetector(dir)).toThrow(/newer latentkit/);
    fs.writeFileSync(detectorPath(dir), JSON.stringify({ ...detector, threshold: null }));
    expect(() => readDetector(dir)).toThrow(UsageError);
    expect(path.basename(detectorPath(dir))).toBe('detector.json');
  });
});
