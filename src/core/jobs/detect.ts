/**
 * Anomaly detection as jobs: calibrate a detector on a run's (normal) data
 * and store it in the run; score data with it. Any registered model can be
 * a detector: scores come through the model contract only.
 */
import type { z } from 'zod';
import { scoreCsvRows, type CsvTruth } from '../apps/detect/csv.js';
import { calibrateDetector, readDetector, writeDetector, type DetectorFile } from '../apps/detect/detector.js';
import { resolveScoreSettings, scoreDataset } from '../apps/detect/scores.js';
import { anomalyTruth, parseAnomalyLabels, summarizeDetection, type DetectionSummary } from '../apps/detect/summary.js';
import { flagAnomalies, thresholdRule } from '../apps/detect/threshold.js';
import { csvField } from '../data/csv/field.js';
import { tableSchemaOf } from '../data/csv/schema.js';
import { exampleIds } from '../data/examples.js';
import { datasetText } from '../data/load.js';
import { dataForRun } from '../data/spec.js';
import { FieldError } from '../errors.js';
import { BOUND_SCORES, detectFitRequest, detectScoreRequest } from '../requests/jobs.js';
import { parseRequest } from '../requests/validate.js';
import { withRun, type JobContext } from './context.js';

export interface DetectFitResult {
  detector: DetectorFile;
  scores: Float64Array;
}

/**
 * Score the calibration data (by default the examples the run was trained
 * on: its dataset, classes and limit) and store the threshold in the run.
 */
export async function detectFitJob(input: z.input<typeof detectFitRequest>, ctx: JobContext): Promise<DetectFitResult> {
  const request = parseRequest(detectFitRequest, input);
  // Settings first: a bad combination fails before minutes of scoring.
  const rule = thresholdRule({ contamination: request.contamination, quantile: request.quantile });
  return withRun(ctx, request.run, async ({ store, config, model }) => {
    const settings = resolveScoreSettings(model, { kind: request.score, samples: request.iwae, seed: request.seed });
    const ownData = request.dataset === undefined || request.dataset === config.data.dataset;
    const limit = request.limit ?? (ownData ? (config.data.limit ?? undefined) : undefined);
    const classes = request.classes ?? (ownData ? config.data.classes : undefined);
    const ds = await dataForRun(config, { ...request, classes, limit }, ctx.load);
    const onProgress = ctx.progress ? (done: number, total: number) => ctx.progress!({ what: `${settings.kind} scores`, done, total }) : undefined;
    const { detector, scores } = calibrateDetector(model, ds, settings, rule, { classes: classes ?? null }, onProgress);
    await writeDetector(store, detector);
    return { detector, scores };
  });
}

/** The stored score settings, refusing a score or iwae that differs from what the threshold was calibrated with. */
function storedSettings(request: { score?: string; iwae?: number }, detector: DetectorFile, run: string): DetectorFile['score'] {
  const kind = request.score;
  const differs = (kind !== undefined && kind !== detector.score.kind) || (request.iwae !== undefined && BOUND_SCORES.includes(detector.score.kind) && request.iwae !== detector.score.samples);
  if (differs) throw new FieldError(kind !== undefined && kind !== detector.score.kind ? 'score' : 'iwae', `differs from what the threshold of ${run} was calibrated with (${detector.score.kind}); calibrate again (latentkit detect fit --run ${run})`);
  return detector.score;
}

/** anomalyLabel: class labels, or (tables) the name of a 0/1 column. */
function truthOf(text: string | undefined, table: boolean): CsvTruth | undefined {
  if (text === undefined) return undefined;
  if (table && !/^[\d,\s]+$/.test(text)) return { column: text.trim() };
  return { labels: parseAnomalyLabels(text) };
}

/**
 * Score data with the run's detector. The output CSV (id, score,
 * is_anomaly) goes to `write` as it is made: a table file is streamed a
 * batch at a time, whatever its size; the caller commits it when this
 * resolves. ROC-AUC and PR-AUC come with `anomalyLabel`.
 */
export async function detectScoreJob(input: z.input<typeof detectScoreRequest>, ctx: JobContext, write: (text: string) => void | Promise<void>): Promise<DetectionSummary> {
  const request = parseRequest(detectScoreRequest, input);
  return withRun(ctx, request.run, async ({ store, config, model }) => {
    const detector = await readDetector(store);
    storedSettings(request, detector, request.run);
    const dataset = request.dataset ?? config.data.dataset;
    const text = config.data.table ? datasetText(dataset) : undefined;
    const truth = truthOf(request.anomalyLabel, text !== undefined);
    if (text) {
      if (request.classes !== undefined) throw new FieldError('classes', 'does not apply to scoring a table: every row is scored (use anomalyLabel)');
      if (request.labelColumn !== undefined) throw new FieldError('labelColumn', 'does not apply to scoring a table (use anomalyLabel COLUMN)');
      return scoreCsvRows(model, text, tableSchemaOf(config), detector, { limit: request.limit, truth, write });
    }
    const ds = await dataForRun(config, request, ctx.load);
    const scores = scoreDataset(model, ds, detector.score);
    const flags = flagAnomalies(scores, detector.threshold);
    const ids = exampleIds(ds);
    const rows = ['id,score,is_anomaly'];
    for (let i = 0; i < scores.length; i++) rows.push(`${csvField(String(ids[i]))},${scores[i]},${flags[i]}`);
    await write(`${rows.join('\n')}\n`);
    const known = truth && 'labels' in truth ? anomalyTruth(ds.labels, truth.labels) : undefined;
    return summarizeDetection(scores, flags.reduce((n, f) => n + f, 0), detector.threshold, known);
  });
}
