/**
 * `latentkit detect fit|score`: anomaly detection with any trained model.
 *   fit    train a run like `train` (or take --run RUN), score its training data
 *          and store the threshold in RUN/detector.json;
 *   score  score a dataset with the stored settings: CSV of id, score, is_anomaly,
 *          and ROC-AUC / PR-AUC when --anomaly-label says which examples are anomalies.
 */
import * as path from 'node:path';
import {
  anomalyTruth,
  calibrateDetector,
  detectCsvFile,
  flagAnomalies,
  parseAnomalyLabels,
  readDetector,
  resolveScoreSettings,
  scoreDataset,
  summarizeDetection,
  thresholdRule,
  writeDetector,
  type CsvTruth,
  type DetectionSummary,
  type DetectorFile,
} from '../../core/apps/detect/index.js';
import { tableSchemaOf } from '../../core/data/csv/schema.js';
import { CSV_PREFIX } from '../../core/data/csv/table.js';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import { trainRun } from '../../node/run/train-run.js';
import type { Autoencoder } from '../../core/models/types.js';
import type { RunConfig } from '../../node/run/run-folder.js';
import { COMMANDS, type CommandIO, type CommandRun, type OptionValues } from '../options.js';
import { createProgress } from '../progress.js';
import { loadDataFor, openRun, outputPath } from './common.js';
import { trainRunOptionsFrom } from './training-flags.js';

const DETECT_OWN = new Set(COMMANDS.find((c) => c.name === 'detect')!.options);
/** Flags that only mean something when `detect fit` trains a new run. */
const TRAINING_ONLY = ['model', 'arch', 'hidden', 'latent', 'activation', 'epochs', 'batch-size', 'lr', 'workers', 'scale', 'ignore-columns'];

/** Train a fresh run into --out with the training flags, as `latentkit train` does. */
async function trainForDetection(values: OptionValues, io: CommandIO): Promise<string | null> {
  const out = values.out as string | undefined;
  if (out === undefined) throw new UsageError("'latentkit detect fit' needs --out RUN (a run folder to train) or --run RUN (an existing run to calibrate)");
  const epochs = values.epochs as number | undefined;
  const progress = createProgress(io.stderr, { quiet: values.quiet === true, epochs: epochs ?? 10 });
  try {
    const result = await trainRun({
      ...trainRunOptionsFrom(values, io, DETECT_OWN),
      out,
      onStep: (p) => progress.step(p),
      onEpoch: (m) => progress.epoch(m),
    });
    result.model.dispose();
    if (result.interrupted) {
      io.stderr.write(`latentkit: interrupted after ${result.epochsCompleted} epoch(s); continue with: latentkit train --resume ${out}, then latentkit detect fit --run ${out}\n`);
      return null;
    }
    return out;
  } finally {
    progress.stop();
  }
}

function numberOrUndefined(value: unknown): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** Score the run's training data (or --dataset/--split) and store the threshold. */
async function calibrate(values: OptionValues, runDir: string, io: CommandIO): Promise<void> {
  const rule = thresholdRule({ contamination: numberOrUndefined(values.contamination), quantile: numberOrUndefined(values.quantile) });
  const { model, config } = await openRun({ ...values, run: runDir }, 'detect fit');
  try {
    // By default the data the run was trained on: its dataset, --classes and --limit.
    const ownData = values.dataset === undefined || values.dataset === config.data.dataset;
    const limit = (values.limit as number | undefined) ?? (ownData ? (config.data.limit ?? undefined) : undefined);
    const classes = values.classes ?? (ownData ? config.data.classes?.join(',') : undefined);
    const ds = await loadDataFor(config, { ...values, classes }, { split: (values.split as 'train' | 'test' | undefined) ?? 'train', limit });
    const settings = resolveScoreSettings(model, { kind: values.score as string | undefined, samples: values.iwae as number | undefined, seed: values.seed as number | undefined, tabular: ds.table !== undefined });
    const { detector } = calibrateDetector(model, ds, settings, rule, { classes: classes === undefined ? null : String(classes).split(',').map(Number) });
    writeDetector(runDir, detector);
    reportFit(io, detector, runDir, values.json === true);
  } finally {
    model.dispose();
  }
}

function reportFit(io: CommandIO, d: DetectorFile, runDir: string, json: boolean): void {
  if (json) {
    io.stdout.write(`${JSON.stringify({ run: runDir, score: d.score.kind, threshold: d.threshold, quantile: d.rule.quantile, contamination: d.rule.contamination, ...d.calibration })}\n`);
    return;
  }
  const rule = d.rule.contamination === null ? `quantile ${d.rule.quantile}` : `contamination ${d.rule.contamination}`;
  const c = d.calibration;
  io.stdout.write(
    `calibrated on ${c.examples} ${c.dataset} ${c.split} examples: ${d.score.kind} scores ${c.minScore.toFixed(3)}..${c.maxScore.toFixed(3)} (mean ${c.meanScore.toFixed(3)}); ` +
      `threshold ${d.threshold.toFixed(4)} (${rule}) flags ${c.flagged}; wrote ${path.join(runDir, 'detector.json')}\n`,
  );
}

/** The stored score settings, refusing a --score/--iwae that differs from what the threshold was calibrated with. */
function storedSettings(values: OptionValues, detector: DetectorFile, runDir: string): DetectorFile['score'] {
  const kind = values.score as string | undefined;
  const samples = values.iwae as number | undefined;
  const differs = (kind !== undefined && kind !== detector.score.kind) || (samples !== undefined && detector.score.kind !== 'recon' && samples !== detector.score.samples);
  if (differs) throw new UsageError(`the threshold of ${runDir} was calibrated for --score ${detector.score.kind}; recalibrate with: latentkit detect fit --run ${runDir} --score ${kind ?? detector.score.kind}`);
  return detector.score;
}

function scoresCsv(scores: Float64Array, flags: Uint8Array, ids: ArrayLike<number>): string {
  const rows = ['id,score,is_anomaly'];
  for (let i = 0; i < scores.length; i++) rows.push(`${ids[i]},${scores[i]},${flags[i]}`);
  return `${rows.join('\n')}\n`;
}

function reportScore(io: CommandIO, s: DetectionSummary, out: string, json: boolean): void {
  if (json) {
    io.stdout.write(`${JSON.stringify({ ...s, out })}\n`);
    return;
  }
  const quality = s.rocAuc === undefined ? '' : `; ${s.anomalies} true anomalies: ROC-AUC ${s.rocAuc.toFixed(4)}, PR-AUC ${s.prAuc!.toFixed(4)}`;
  io.stdout.write(`scored ${s.examples} examples: ${s.flagged} flagged as anomalies (score > ${s.threshold.toFixed(4)})${quality}; wrote ${out}\n`);
}

/** --anomaly-label: class labels, or (csv) the name of a 0/1 column. */
function truthSpec(values: OptionValues, csv: boolean): CsvTruth | undefined {
  const text = values['anomaly-label'] as string | undefined;
  if (text === undefined) return undefined;
  if (csv && !/^[\d,\s]+$/.test(text)) return { column: text.trim() };
  return { labels: parseAnomalyLabels(text) };
}

/** Image datasets, in memory: score, flag, write the CSV at once. */
async function scoreInMemory(model: Autoencoder, config: RunConfig, values: OptionValues, detector: DetectorFile, truth: CsvTruth | undefined, out: string): Promise<DetectionSummary> {
  const ds = await loadDataFor(config, values);
  const scores = scoreDataset(model, ds, detector.score);
  const flags = flagAnomalies(scores, detector.threshold);
  const ids = ds.table?.lines ?? Int32Array.from({ length: ds.n }, (_, i) => i);
  writeFileAtomic(out, scoresCsv(scores, flags, ids));
  const known = truth && 'labels' in truth ? anomalyTruth(ds.labels, truth.labels) : undefined;
  return summarizeDetection(scores, flags.reduce((n, f) => n + f, 0), detector.threshold, known);
}

async function score(values: OptionValues, io: CommandIO): Promise<void> {
  const out = outputPath(values, 'detect score', ['.csv']);
  if (values.contamination !== undefined || values.quantile !== undefined) {
    throw new UsageError('--contamination and --quantile set the threshold at fit time; use them with latentkit detect fit');
  }
  const { dir, model, config } = await openRun(values, 'detect score');
  try {
    const detector = readDetector(dir);
    storedSettings(values, detector, dir);
    const dataset = (values.dataset as string | undefined) ?? config.data.dataset;
    const csv = dataset.startsWith(CSV_PREFIX);
    const truth = truthSpec(values, csv);
    let summary: DetectionSummary;
    if (csv) {
      if (values.classes !== undefined || values['label-column'] !== undefined) throw new UsageError('detect score on a csv file reads every row; --classes and --label-column do not apply (use --anomaly-label COLUMN)');
      summary = await detectCsvFile(model, dataset, tableSchemaOf(config), detector, { out, limit: values.limit as number | undefined, truth });
    } else {
      summary = await scoreInMemory(model, config, values, detector, truth, out);
    }
    reportScore(io, summary, out, values.json === true);
  } finally {
    model.dispose();
  }
}

export const run: CommandRun = async (values, positionals, io) => {
  if (positionals[0] === 'score') {
    await score(values, io);
    return 0;
  }
  // Check the threshold flags before spending minutes on training.
  thresholdRule({ contamination: numberOrUndefined(values.contamination), quantile: numberOrUndefined(values.quantile) });
  if (values.run !== undefined) {
    if (values.out !== undefined) throw new UsageError('detect fit takes --run RUN (calibrate an existing run) or --out RUN (train a new one), not both');
    const trainingFlag = TRAINING_ONLY.find((flag) => values[flag] !== undefined);
    if (trainingFlag) throw new UsageError(`--${trainingFlag} applies when detect fit trains a new run (--out RUN), not with --run`);
  }
  const runDir = (values.run as string | undefined) ?? (await trainForDetection(values, io));
  if (runDir === null) return 130;
  await calibrate(values, runDir, io);
  return 0;
};
