/**
 * A detector is a run plus `RUN/detector.json`: how scores are computed and the
 * threshold calibrated on (normal) training data. `detect fit` writes it,
 * `detect score` reads it, so scoring uses exactly the calibrated settings.
 */
import type { Dataset } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { bytesText, textBytes, type RunStore } from '../../run/store.js';
import type { Autoencoder } from '../../models/types.js';
import { fitScoreSettings, type CodeDensity, SCORE_KINDS, scoreDataset, type ScoreSettings } from './scores.js';
import { flagAnomalies, quantileOf, type ThresholdRule } from './threshold.js';

export const DETECTOR_FORMAT = 'latentkit-detector';
export const DETECTOR_FORMAT_VERSION = 1;

export interface DetectorFile {
  format: typeof DETECTOR_FORMAT;
  formatVersion: number;
  score: ScoreSettings;
  /** Examples scoring strictly above this are anomalies. */
  threshold: number;
  rule: ThresholdRule;
  /** What the threshold was calibrated on. */
  calibration: {
    dataset: string;
    split: string;
    examples: number;
    /** Classes kept (--classes), or null for all. */
    classes: number[] | null;
    minScore: number;
    meanScore: number;
    maxScore: number;
    /** Calibration examples above the threshold. */
    flagged: number;
  };
  createdAt: string;
}

/** Where a run keeps its detector. */
export const DETECTOR_FILE = 'detector.json';

/** Score the calibration data and place the threshold by `rule`. */
export function calibrateDetector(
  model: Autoencoder,
  ds: Dataset,
  settings: ScoreSettings,
  rule: ThresholdRule,
  source: { classes?: number[] | null } = {},
  onProgress?: (done: number, total: number) => void,
): { detector: DetectorFile; scores: Float64Array } {
  // recon-code first fits its code density on these rows, then scores them with it.
  const fitted = fitScoreSettings(model, ds, settings);
  const scores = scoreDataset(model, ds, fitted, undefined, onProgress);
  const threshold = quantileOf(scores, rule.quantile);
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) {
    sum += s;
    min = Math.min(min, s);
    max = Math.max(max, s);
  }
  const flagged = flagAnomalies(scores, threshold).reduce((n, f) => n + f, 0);
  const detector: DetectorFile = {
    format: DETECTOR_FORMAT,
    formatVersion: DETECTOR_FORMAT_VERSION,
    score: fitted,
    threshold,
    rule,
    calibration: {
      dataset: ds.name,
      // A csv: dataset is every row of the file, whatever --split says.
      split: ds.table ? 'all rows' : ds.split,
      examples: ds.n,
      classes: source.classes ?? null,
      minScore: min,
      meanScore: sum / ds.n,
      maxScore: max,
      flagged,
    },
    createdAt: new Date().toISOString(),
  };
  return { detector, scores };
}

export async function writeDetector(store: RunStore, detector: DetectorFile): Promise<void> {
  await store.write(DETECTOR_FILE, textBytes(`${JSON.stringify(detector, null, 2)}\n`));
}

function validCodeDensity(code: unknown): boolean {
  const c = code as CodeDensity | undefined;
  const k = Array.isArray(c?.mean) ? c.mean.length : 0;
  const numbers = (a: unknown, n: number) => Array.isArray(a) && a.length === n && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  const standardizer = (s: unknown) => numbers([(s as { mean?: unknown })?.mean, (s as { sd?: unknown })?.sd], 2) && (s as { sd: number }).sd > 0;
  return k > 0 && numbers(c!.mean, k) && numbers(c!.components, c!.variances?.length * k) && c!.variances.every((v) => v > 0) && standardizer(c!.recon) && standardizer(c!.distance);
}

/** The detector of a run; UsageError when it is missing, corrupt or from a newer latentkit. */
export async function readDetector(store: RunStore): Promise<DetectorFile> {
  const file = `${store.name}/${DETECTOR_FILE}`;
  const bytes = await store.read(DETECTOR_FILE);
  if (!bytes) throw new UsageError(`${store.name} has no detector.json; calibrate it first (latentkit detect fit --run ${store.name})`);
  let detector: DetectorFile;
  try {
    detector = JSON.parse(bytesText(bytes)) as DetectorFile;
  } catch {
    throw new UsageError(`corrupt ${file} (not valid JSON)`);
  }
  if (detector?.format !== DETECTOR_FORMAT) throw new UsageError(`${file} is not a latentkit detector file`);
  if (detector.formatVersion > DETECTOR_FORMAT_VERSION) throw new UsageError(`${file} was written by a newer latentkit (detector format ${detector.formatVersion}); upgrade latentkit`);
  const { score, threshold } = detector;
  const valid =
    typeof threshold === 'number' &&
    Number.isFinite(threshold) &&
    SCORE_KINDS.includes(score?.kind) &&
    Number.isInteger(score?.samples) &&
    score.samples >= 1 &&
    (score.measure === 'bce' || score.measure === 'squared-error') &&
    (score.kind !== 'recon-code' || validCodeDensity(score.code));
  if (!valid) throw new UsageError(`corrupt ${file} (missing or invalid threshold or score settings)`);
  return detector;
}
