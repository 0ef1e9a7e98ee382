/**
 * A run as files: config.json, model/<network>/, checkpoint/, metrics.jsonl.
 * Reading and writing them here works on any RunStore, so a run trained in
 * the page and one trained by the CLI are the same thing.
 */

import type { LayersModel } from '@tensorflow/tfjs-layers';
import { UsageError } from '../errors.js';
import { getModelDefinition } from '../models/registry.js';
import type { EpochMetrics } from '../train/trainer.js';
import type { Autoencoder } from '../models/types.js';
import { Rng } from '../random.js';
import { formatRunConfig, parseRunConfig, type RunConfig } from './config.js';
import { loadNetworkFiles, MODEL_FILE, networkFiles, WEIGHTS_FILE } from './networks.js';
import { bytesText, textBytes, type RunStore } from './store.js';

/** The files and folders of a run. */
export const RUN_FILES = {
  config: 'config.json',
  model: 'model',
  checkpoint: 'checkpoint',
  metrics: 'metrics.jsonl',
  samples: 'samples',
} as const;

export type { EpochMetrics };

export async function readStoredConfig(store: RunStore): Promise<RunConfig> {
  const bytes = await store.read(RUN_FILES.config);
  if (!bytes) throw new UsageError(`${store.name} is not a latentkit run folder (no config.json)`);
  return parseRunConfig(bytesText(bytes), `${store.name}/${RUN_FILES.config}`);
}

export async function writeStoredConfig(store: RunStore, config: RunConfig): Promise<void> {
  await store.write(RUN_FILES.config, textBytes(formatRunConfig(config)));
}

/** model.json and weights.bin of every network, as `<network>/<file>`. */
export async function modelFiles(model: Autoencoder): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const [name, net] of Object.entries(model.networks)) {
    const { modelJson, weights } = await networkFiles(net);
    files.set(`${name}/${WEIGHTS_FILE}`, weights);
    files.set(`${name}/${MODEL_FILE}`, textBytes(modelJson));
  }
  return files;
}

/** Save every network into `folder` (model/ by default), replacing it at once. */
export async function saveModel(store: RunStore, model: Autoencoder, folder: string = RUN_FILES.model): Promise<void> {
  await store.replaceFolder(folder, await modelFiles(model));
}

/** Weight shapes of each network, in order. */
function weightShapes(networks: Readonly<Record<string, LayersModel>>): Record<string, string> {
  return Object.fromEntries(Object.entries(networks).map(([name, net]) => [name, net.weights.map((w) => w.shape.join('×')).join(',')]));
}

/**
 * Refuse networks that do not fit the config (another model kind, another
 * latent size): they would load and then compute garbage.
 */
function checkFingerprint(config: RunConfig, networks: Record<string, LayersModel>, where: string): void {
  const definition = getModelDefinition(config.model.model);
  const reference = definition.create(config.model, new Rng(0));
  try {
    const want = weightShapes(reference.networks);
    const have = weightShapes(networks);
    for (const name of Object.keys(want)) {
      if (have[name] !== want[name]) {
        throw new UsageError(`the ${name} network in ${where} does not match config.json (a ${config.model.model} with latent ${config.model.latent}, hidden ${config.model.hidden.join(',')}); the run folder is inconsistent`);
      }
    }
  } finally {
    reference.dispose();
  }
}

/** Rebuild the model from networks saved in `folder` (model/ or checkpoint/). */
export async function restoreModel(config: RunConfig, store: RunStore, folder: string = RUN_FILES.model): Promise<Autoencoder> {
  const definition = getModelDefinition(config.model.model);
  const networks: Record<string, LayersModel> = {};
  try {
    for (const name of config.networks) {
      const where = `${store.name}/${folder}/${name}`;
      const json = await store.read(`${folder}/${name}/${MODEL_FILE}`);
      if (!json) throw new UsageError(`missing model file ${where}/${MODEL_FILE}`);
      networks[name] = await loadNetworkFiles(bytesText(json), (p) => store.read(`${folder}/${name}/${p}`), where);
    }
    checkFingerprint(config, networks, `${store.name}/${folder}`);
    return definition.restore(config.model, networks);
  } catch (err) {
    for (const net of Object.values(networks)) net.dispose();
    throw err;
  }
}

/** config.json and the trained model of a run. */
export async function loadStoredRun(store: RunStore): Promise<{ config: RunConfig; model: Autoencoder }> {
  const config = await readStoredConfig(store);
  return { config, model: await restoreModel(config, store) };
}

/** metrics.jsonl as rows, skipping a torn last line. */
export async function readStoredMetrics(store: RunStore): Promise<EpochMetrics[]> {
  const bytes = await store.read(RUN_FILES.metrics);
  if (!bytes) return [];
  const rows: EpochMetrics[] = [];
  for (const line of bytesText(bytes).split('\n')) {
    if (!line.trim()) continue;
    try {
      const row = JSON.parse(line) as EpochMetrics;
      if (typeof row === 'object' && row !== null && typeof row.epoch === 'number') rows.push(row);
    } catch {
      // A crash can tear the last line; everything before it is intact.
    }
  }
  return rows;
}

export async function appendMetrics(store: RunStore, row: EpochMetrics): Promise<void> {
  // NaN is not JSON: a diverged value is stored as null.
  await store.append(RUN_FILES.metrics, JSON.stringify(row));
}

/**
 * Keep only the metrics of epochs ≤ `epochs` (when resuming), adding `last`
 * (the checkpoint's own row of epoch `epochs`) when a kill lost that line.
 */
export async function truncateMetrics(store: RunStore, epochs: number, last?: EpochMetrics): Promise<void> {
  const kept = (await readStoredMetrics(store)).filter((row) => row.epoch <= epochs);
  if (last && !kept.some((row) => row.epoch === last.epoch)) kept.push(last);
  await store.write(RUN_FILES.metrics, textBytes(kept.map((r) => `${JSON.stringify(r)}\n`).join('')));
}

