/**
 * `latentkit detect fit|score`: anomaly detection with any trained model.
 *   fit    train a run like `train` (--out RUN; with no --model the detector
 *          recipe, `ae --loss mse`; `vae` for --score elbo|iwae; with no --epochs,
 *          at least 200 optimizer steps, and on small data early stopping on a
 *          held-out fifth) or take --run RUN, score its training
 *          data and store the threshold in RUN/detector.json;
 *   score  score data with the stored settings into a CSV of id, score,
 *          is_anomaly, with ROC-AUC / PR-AUC when --anomaly-label says which
 *          examples are anomalies.
 */
import * as path from 'node:path';
import { detectFitJob, detectScoreJob } from '../../core/jobs/detect.js';
import { DETECTOR_FILE, detectorRecipe, detectorTrainingRequest, type DetectorFile, type DetectionSummary, type ScoreKind } from '../../core/apps/detect/index.js';
import type { DetectScoreRequest } from '../../core/requests/jobs.js';
import { trainRun } from '../../node/run/train-run.js';
import { atomicWriter } from '../../node/files/atomic.js';
import type { CliFlags, CommandIO, Invocation } from '../commands.js';
import { createProgress } from '../progress.js';
import { shellWord } from '../shell-word.js';
import { jobContext, printJson } from './context.js';

type FitCall = Record<string, unknown> & { run?: string; epochs?: number };

/** The calibration settings of detect fit; the rest of a fit request trains the run. */
const FIT_KEYS = ['score', 'iwae', 'contamination', 'quantile'];

/** Train a fresh run into --out, as `latentkit train` does; null when interrupted. */
async function trainForDetection(request: FitCall, cli: CliFlags, io: CommandIO): Promise<string | null> {
  const out = cli.out!;
  const training = detectorTrainingRequest(Object.fromEntries(Object.entries(request).filter(([k]) => !FIT_KEYS.includes(k))), request.score as ScoreKind | undefined);
  // Without --epochs the recipe picks them (and early stopping) once the data is loaded.
  const recipeFor = request.epochs === undefined ? detectorRecipe : undefined;
  const progress = createProgress(io.stderr, { quiet: cli.quiet === true });
  try {
    const result = await trainRun(training, { out, signal: io.signal, onStep: progress.step, onEpoch: progress.epoch, load: { quiet: cli.quiet }, recipeFor });
    result.model.dispose();
    if (!result.interrupted) return out;
    const run = shellWord(out);
    io.stderr.write(`latentkit: interrupted after ${result.epochsCompleted} epoch(s); continue with: latentkit train --resume ${run}${result.workers > 1 ? ` --workers ${result.workers}` : ''}, then latentkit detect fit --run ${run}\n`);
    return null;
  } finally {
    progress.stop();
  }
}

function reportFit(io: CommandIO, d: DetectorFile, runDir: string, json: boolean): void {
  if (json) {
    printJson(io, { run: runDir, score: d.score.kind, threshold: d.threshold, quantile: d.rule.quantile, contamination: d.rule.contamination, ...d.calibration });
    return;
  }
  const rule = d.rule.contamination === null ? `quantile ${d.rule.quantile}` : `contamination ${d.rule.contamination}`;
  const c = d.calibration;
  io.stdout.write(
    `calibrated on ${c.examples} ${c.dataset} ${c.split} examples: ${d.score.kind} scores ${c.minScore.toFixed(3)}..${c.maxScore.toFixed(3)} (mean ${c.meanScore.toFixed(3)}); ` +
      `threshold ${d.threshold.toFixed(4)} (${rule}) flags ${c.flagged}; wrote ${path.join(runDir, DETECTOR_FILE)}\n`,
  );
}

function reportScore(io: CommandIO, s: DetectionSummary, out: string, json: boolean): void {
  if (json) {
    printJson(io, { ...s, out });
    return;
  }
  const quality = s.rocAuc === undefined ? '' : `; ${s.anomalies} true anomalies: ROC-AUC ${s.rocAuc.toFixed(4)}, PR-AUC ${s.prAuc!.toFixed(4)}`;
  io.stdout.write(`scored ${s.examples} examples: ${s.flagged} flagged as anomalies (score > ${s.threshold.toFixed(4)})${quality}; wrote ${out}\n`);
}

async function fit(request: FitCall, cli: CliFlags, io: CommandIO): Promise<number> {
  const run = request.run ?? (await trainForDetection(request, cli, io));
  if (run === null) return 130;
  // A freshly trained run is calibrated on exactly the data it was trained on.
  const fields = request.run !== undefined ? request : { dataDir: request.dataDir, backend: request.backend, threads: request.threads, seed: request.seed, ...Object.fromEntries(FIT_KEYS.map((k) => [k, request[k]])) };
  const { detector } = await detectFitJob({ ...fields, run } as never, await jobContext(io, request as never, cli));
  reportFit(io, detector, run, cli.json === true);
  return 0;
}

async function score(request: DetectScoreRequest, cli: CliFlags, io: CommandIO): Promise<number> {
  const ctx = await jobContext(io, request, cli);
  const out = atomicWriter(cli.out!);
  let summary: DetectionSummary;
  try {
    summary = await detectScoreJob(request, ctx, (text) => out.write(text));
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
  reportScore(io, summary, cli.out!, cli.json === true);
  return 0;
}

export async function run({ request, cli, positionals, io }: Invocation<Record<string, unknown>>): Promise<number> {
  if (positionals[0] === 'score') return score(request as DetectScoreRequest, cli, io);
  return fit(request as FitCall, cli, io);
}
