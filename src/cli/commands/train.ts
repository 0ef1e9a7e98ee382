/** `latentkit train`: a new run into --out, or --resume RUN. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES } from '../../core/run/run.js';
import type { TrainJobResult } from '../../core/jobs/train.js';
import type { BackendChoice } from '../../core/backend/choices.js';
import { resumeRun, trainRun } from '../../node/run/train-run.js';
import type { Invocation } from '../commands.js';
import { createProgress } from '../progress.js';
import { shellWord } from '../shell-word.js';

interface TrainCall {
  model?: string;
  dataset?: string;
  epochs?: number;
  workers?: number;
  backend?: BackendChoice;
  threads?: number;
  [key: string]: unknown;
}

function defaultOut(model: string, dataset: string): string {
  const base = `runs/${model}-${dataset.replace(/[^a-z0-9-]+/gi, '_')}`;
  let out = base;
  for (let i = 2; fs.existsSync(out); i++) out = `${base}-${i}`;
  return out;
}

/** The command that continues an interrupted run; replicas are repeated because they decide the numbers. */
function resumeCommand(out: string, workers: number): string {
  return `latentkit train --resume ${shellWord(out)}${workers > 1 ? ` --workers ${workers}` : ''}`;
}

/**
 * A disk that filled up (or a folder that became read-only) part way through
 * leaves the run at its last checkpoint: say so, and how to go on, in the same line.
 */
function withResumeHint(err: unknown, out: string, workers: number): unknown {
  if ((err as Error)?.name !== 'FileSystemError' || !fs.existsSync(path.join(out, RUN_FILES.checkpoint, 'state.json'))) return err;
  (err as Error).message += `; ${out} keeps its last checkpoint: make room, then ${resumeCommand(out, workers)}`;
  return err;
}

export async function run({ request, cli, io }: Invocation<TrainCall>): Promise<number> {
  const out = cli.resume ?? cli.out ?? defaultOut(request.model ?? 'vae', request.dataset ?? 'sprites');
  const progress = createProgress(io.stderr, { quiet: cli.quiet === true });
  const hooks = { signal: io.signal, onStep: progress.step, onEpoch: progress.epoch, load: { quiet: cli.quiet } };
  let result: TrainJobResult;
  try {
    result = cli.resume !== undefined ? await resumeRun(cli.resume, { ...hooks, epochs: request.epochs, workers: request.workers, backend: request.backend, threads: request.threads }) : await trainRun(request, { ...hooks, out });
  } catch (err) {
    throw withResumeHint(err, out, request.workers ?? 1);
  } finally {
    progress.stop();
  }
  result.model.dispose();
  if (result.interrupted) {
    io.stderr.write(`latentkit: interrupted after ${result.epochsCompleted} complete epoch(s); ${out} holds the latest weights and a checkpoint; continue with: ${resumeCommand(out, result.workers)}\n`);
    return 130;
  }
  const last = result.metrics.at(-1);
  io.stdout.write(`trained ${result.config.model.model} on ${result.config.data.dataset}: ${result.epochsCompleted} epochs${last ? `, test loss ${last.test_loss.toFixed(3)}` : ''}; run folder ${out}\n`);
  return 0;
}
