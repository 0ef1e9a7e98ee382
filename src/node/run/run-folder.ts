/**
 * The run folder: everything a training run leaves behind, and what every
 * later command reads. Its layout is a contract, documented in docs/run-format.md.
 *
 *   config.json        how to rebuild the model and its data
 *   model/<network>/   model.json + weights.bin (TensorFlow.js layers format)
 *   checkpoint/        networks + optimizer state + trainer state, for --resume
 *   metrics.jsonl      one JSON object per completed epoch
 *   samples/           epoch-N-generated.png, epoch-N-reconstructed.png
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { TableSchema } from '../../core/data/csv/schema.js';
import { UsageError } from '../../core/errors.js';
import { replaceDirectoryAtomic, resolveDirectory, writeFileAtomic } from '../files/atomic.js';
import { loadNetwork, saveNetwork } from '../files/tfjs-files.js';
import { loadBuiltinModels } from '../../core/models/discover.js';
import { getModelDefinition } from '../../core/models/registry.js';
import type { Autoencoder, CommonConfig } from '../../core/models/types.js';

export const RUN_FORMAT = 'latentkit-run';
export const RUN_FORMAT_VERSION = 1;

export interface RunConfig {
  format: typeof RUN_FORMAT;
  formatVersion: number;
  /** latentkit version that wrote the run. */
  version: string;
  model: CommonConfig & Record<string, unknown>;
  data: {
    dataset: string;
    shape: [number, number, number];
    numClasses: number;
    classNames?: string[];
    /** Training examples used (after --classes and --limit). */
    trainExamples: number;
    limit: number | null;
    /** --classes: the only labels trained on (absent: all). */
    classes?: number[];
    /** csv datasets: the columns, label mapping and fitted scaler that read new rows the same way. */
    table?: TableSchema;
  };
  training: {
    epochs: number;
    batchSize: number;
    lr: number;
    seed: number;
    backend: string;
  };
  /** Names of the networks under model/. */
  networks: string[];
  createdAt: string;
}

export const runPaths = (dir: string) => ({
  config: path.join(dir, 'config.json'),
  model: path.join(dir, 'model'),
  checkpoint: path.join(dir, 'checkpoint'),
  metrics: path.join(dir, 'metrics.jsonl'),
  samples: path.join(dir, 'samples'),
});

export function writeRunConfig(dir: string, config: RunConfig): void {
  writeFileAtomic(runPaths(dir).config, `${JSON.stringify(config, null, 2)}\n`);
}

export function readRunConfig(dir: string): RunConfig {
  const file = runPaths(dir).config;
  if (!fs.existsSync(dir)) throw new UsageError(`run folder ${dir} does not exist`);
  if (!fs.existsSync(file)) throw new UsageError(`${dir} is not a latentkit run folder (no config.json)`);
  let config: RunConfig;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8')) as RunConfig;
  } catch {
    throw new UsageError(`corrupt ${file} (not valid JSON)`);
  }
  if (config.format !== RUN_FORMAT) throw new UsageError(`${file} is not a latentkit run config`);
  if (config.formatVersion > RUN_FORMAT_VERSION) {
    throw new UsageError(`${dir} was written by a newer latentkit (run format ${config.formatVersion}); upgrade latentkit`);
  }
  return config;
}

/** Save every network of `model` into `<folder>/<network>/`, replacing the folder atomically. */
export async function saveNetworks(model: Autoencoder, folder: string, extra?: (tmp: string) => Promise<void> | void): Promise<void> {
  await replaceDirectoryAtomic(folder, async (tmp) => {
    for (const [name, net] of Object.entries(model.networks)) await saveNetwork(net, path.join(tmp, name));
    await extra?.(tmp);
  });
}

/** Rebuild a model from networks saved in `folder` (model/ or checkpoint/). */
export async function restoreModel(config: RunConfig, folder: string): Promise<Autoencoder> {
  await loadBuiltinModels();
  const definition = getModelDefinition(config.model.model);
  const dir = resolveDirectory(folder);
  if (!dir) throw new UsageError(`no saved model in ${folder}`);
  const networks: Record<string, LayersModel> = {};
  for (const name of config.networks) networks[name] = await loadNetwork(path.join(dir, name));
  return definition.restore(config.model, networks);
}

/** Load the trained model of a run folder. */
export async function loadRun(dir: string): Promise<{ config: RunConfig; model: Autoencoder }> {
  const config = readRunConfig(dir);
  const model = await restoreModel(config, runPaths(dir).model);
  return { config, model };
}

/** metrics.jsonl as objects, skipping a torn last line. */
export function readMetrics(dir: string): Record<string, number>[] {
  const file = runPaths(dir).metrics;
  if (!fs.existsSync(file)) return [];
  const rows: Record<string, number>[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line) as Record<string, number>);
    } catch {
      // A crash can tear the last line; everything before it is intact.
    }
  }
  return rows;
}

/** Keep only the metrics of epochs ≤ `epochs` (used when resuming). */
export function truncateMetrics(dir: string, epochs: number): void {
  const kept = readMetrics(dir).filter((row) => row.epoch <= epochs);
  writeFileAtomic(runPaths(dir).metrics, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
