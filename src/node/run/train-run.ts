/**
 * Training into a run folder on disk: the core's training job with a
 * directory store, Node's worker-thread engine and its datasets. The folder
 * is created only once the data and the model are ready, and removed again
 * when training fails before anything worth keeping was written (a
 * divergence or Ctrl-C keeps a loadable, resumable run).
 */
import * as fs from 'node:fs';
import { resumeJob, trainJob, type ResumeOptions, type TrainJobOptions, type TrainJobResult } from '../../core/jobs/train.js';
import { DivergenceError, FieldError, UsageError } from '../../core/errors.js';
import type { TrainRequestInput } from '../../core/requests/train.js';
import { RUN_FILES } from '../../core/run/run.js';
import type { BackendChoice } from '../../core/backend/choices.js';
import { initBackend, setComputeThreads } from '../backend/index.js';
import '../data/datasets.js';
import { createEngine } from '../parallel/engines.js';
import { DirectoryRunStore } from './directory-store.js';
import { runFolder } from './run-folder.js';
import { sweepLeftovers } from '../files/atomic.js';

export interface TrainRunOptions extends Omit<TrainJobOptions, 'store' | 'engine'> {
  /** The run folder to create. */
  out: string;
  /** Allow writing into a folder that already holds a run. */
  overwrite?: boolean;
}

/** Refuse an --out that cannot become a new run folder, before anything is loaded. */
export function checkNewRunFolder(out: string, overwrite = false): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory()) throw new FieldError('out', `${out} is a file; a run is a folder`);
  if (fs.existsSync(`${out}/${RUN_FILES.config}`) && !overwrite) throw new FieldError('out', `${out} already holds a run; resume it or choose another folder`);
}

/** Start the request's backend and thread count. */
export async function useEngine(request: { backend?: BackendChoice; threads?: number }): Promise<string> {
  if (request.threads !== undefined) setComputeThreads(request.threads);
  return initBackend(request.backend ?? 'auto');
}

/** Train a new run into the folder `options.out`. */
export async function trainRun(request: TrainRequestInput, options: TrainRunOptions): Promise<TrainJobResult> {
  checkNewRunFolder(options.out, options.overwrite);
  const created = !fs.existsSync(options.out);
  await useEngine(request as { backend?: BackendChoice; threads?: number });
  const store = new DirectoryRunStore(options.out);
  if (!created) await store.remove(RUN_FILES.metrics);
  let started = false;
  try {
    return await trainJob(request, {
      ...options,
      store,
      engine: createEngine,
      onEpoch: (m) => {
        started = true;
        options.onEpoch?.(m);
      },
    });
  } catch (err) {
    // Keep what a diverged run saved (its last finite state); drop a folder that holds nothing of use.
    if (created && !started && !(err instanceof DivergenceError)) fs.rmSync(options.out, { recursive: true, force: true });
    throw err;
  }
}

export interface ResumeRunOptions extends ResumeOptions {
  backend?: BackendChoice;
  threads?: number;
}

/** Continue the run in folder `dir` from its last checkpoint. */
export async function resumeRun(dir: string, options: ResumeRunOptions = {}): Promise<TrainJobResult> {
  const store = runFolder(dir);
  if (!(await store.read(RUN_FILES.config))) throw new UsageError(`${dir} is not a latentkit run folder (no config.json)`);
  // A run killed while writing left temporaries (and maybe a folder moved aside): tidy them before going on.
  sweepLeftovers(dir);
  await useEngine(options);
  return resumeJob(store, { ...options, engine: createEngine });
}
