/**
 * Run folders on disk: everything a training run leaves behind, and what
 * every later command reads. The layout is a contract (docs/run-format.md);
 * the files are read and written by the core (core/run/), through a
 * DirectoryRunStore.
 *
 *   config.json        how to rebuild the model and its data
 *   model/<network>/   model.json + weights.bin (TensorFlow.js layers format)
 *   checkpoint/        networks + optimizer state + trainer state, for --resume
 *   metrics.jsonl      one JSON object per completed epoch
 *   samples/           epoch-N-generated.png, epoch-N-reconstructed.png
 *   detector.json      a calibrated anomaly detector (latentkit detect fit)
 *   search/            similarity-search indexes (latentkit search index)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunConfig } from '../../core/run/config.js';
import { loadStoredRun as loadRunFrom, readStoredMetrics as readMetricsFrom, readStoredConfig as readConfigFrom, RUN_FILES } from '../../core/run/run.js';
import type { EpochMetrics } from '../../core/train/trainer.js';
import type { Autoencoder } from '../../core/models/types.js';
import { UsageError } from '../../core/errors.js';
import { ensureBackend } from '../backend/index.js';
import { DirectoryRunStore } from './directory-store.js';

export const runPaths = (dir: string) => ({
  config: path.join(dir, RUN_FILES.config),
  model: path.join(dir, RUN_FILES.model),
  checkpoint: path.join(dir, RUN_FILES.checkpoint),
  metrics: path.join(dir, RUN_FILES.metrics),
  samples: path.join(dir, RUN_FILES.samples),
});

/** The store of an existing run folder; UsageError when `dir` is missing or not a folder. */
export function runFolder(dir: string): DirectoryRunStore {
  if (!fs.existsSync(dir)) throw new UsageError(`run folder ${dir} does not exist`);
  if (!fs.statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a run folder (it is a file)`);
  return new DirectoryRunStore(dir);
}

export async function readRunConfig(dir: string): Promise<RunConfig> {
  return readConfigFrom(runFolder(dir));
}

/** The trained model of a run folder (starting the best backend if none runs yet). */
export async function loadRun(dir: string): Promise<{ config: RunConfig; model: Autoencoder; store: DirectoryRunStore }> {
  const store = runFolder(dir);
  await ensureBackend();
  return { ...(await loadRunFrom(store)), store };
}

/** metrics.jsonl of a run folder, skipping a torn last line. */
export async function readMetrics(dir: string): Promise<EpochMetrics[]> {
  return readMetricsFrom(runFolder(dir));
}
