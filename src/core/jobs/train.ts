/**
 * Training as a job: a validated request in, a trained model and its run
 * files out. The same function trains in Node (a run folder on disk,
 * worker threads), in the lab (a run kept in the page) and in tests (in
 * memory); only the store, the engine and the data sources differ.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/types.js';
import { trainingSplits, type LoadContext } from '../data/spec.js';
import { binarize, type BinarizeMode, type Splits } from '../data/load.js';
import { imageOptionsOf, isImageFileDataset } from '../data/image-options.js';
import { FieldError, UsageError } from '../errors.js';
import { getModelDefinition, listModelDefinitions } from '../models/registry.js';
import type { Autoencoder, DataInfo } from '../models/types.js';
import { Rng } from '../random.js';
import { modelInputOf, trainRequestSchema, type TrainRequest, type TrainRequestInput } from '../requests/train.js';
import { parseRequest } from '../requests/validate.js';
import { hasCheckpoint, loadCheckpoint } from '../run/checkpoint.js';
import { RUN_FORMAT, RUN_FORMAT_VERSION, type RunConfig } from '../run/config.js';
import { readStoredConfig, truncateMetrics, writeStoredConfig } from '../run/run.js';
import { MemoryRunStore, type RunStore } from '../run/store.js';
import { runWriter } from '../run/writer.js';
import type { EngineFactory } from '../train/engine.js';
import { train, type TrainOptions, type TrainResult } from '../train/trainer.js';
import { VERSION } from '../version.js';

export interface TrainJobOptions {
  /** Where the run's files go (default: kept in memory, `result.store`). */
  store?: RunStore;
  /** How steps run (Node passes its worker-thread engine). */
  engine?: EngineFactory;
  signal?: AbortSignal;
  onStep?: TrainOptions['onStep'];
  onEpoch?: TrainOptions['onEpoch'];
  /** How datasets are loaded (quiet downloads, ...). */
  load?: LoadContext;
  /** Per-epoch pictures in the run (default true). */
  pictures?: boolean;
  /** Examples of the test split evaluated per epoch (default all). */
  testLimit?: number;
  /** Settings chosen once the training split's size is known, over the request's (detect fit's recipe: epochs, early stopping). */
  recipeFor?: (trainExamples: number, request: TrainRequest) => Partial<Pick<TrainRequest, 'epochs' | 'validation' | 'patience'>>;
}

export interface TrainJobResult extends TrainResult {
  config: RunConfig;
  model: Autoencoder;
  store: RunStore;
}

/** Standardized table columns are real numbers, not intensities in [0, 1]. */
function dataInfoOf(ds: Dataset): DataInfo {
  return { shape: ds.shape, numClasses: ds.numClasses, domain: ds.table && ds.table.scaler.kind === 'standard' ? 'real' : 'unit', examples: ds.n };
}

/**
 * The splits as training sees them: `static` thresholds both at 0.5; `dynamic`
 * leaves the training split grey (the loop draws each batch afresh) and draws
 * the test split once, from the run's seed, so test losses compare across epochs.
 */
export function binarizedSplits(splits: Splits, mode: BinarizeMode, seed: number): Splits {
  if (mode === 'none') return splits;
  if (splits.table) throw new FieldError('binarize', 'applies to images with pixels in [0, 1], not to table columns');
  if (mode === 'static') return { ...splits, trainSet: binarize(splits.trainSet, 'static'), testSet: binarize(splits.testSet, 'static') };
  return { ...splits, testSet: binarize(splits.testSet, 'dynamic', seed) };
}

/** The request validated against the registered models, with every default filled in. */
export function parseTrainRequest(request: TrainRequestInput): TrainRequest {
  return parseRequest(trainRequestSchema(listModelDefinitions()), request) as TrainRequest;
}

/** A fresh model for a request and its data, and the config.json that rebuilds it. */
export function createModel(request: TrainRequest, splits: Splits, backend: string): { model: Autoencoder; config: RunConfig } {
  const definition = getModelDefinition(request.model);
  const { trainSet } = splits;
  const modelConfig = definition.resolveConfig(modelInputOf(request), dataInfoOf(trainSet));
  const model = definition.create(modelConfig, new Rng(request.seed));
  // Its own stream, so a model that starts from data does not shift the draws of the others.
  model.initialiseFromData?.(trainSet, new Rng(request.seed + 0x9e3779b9));
  const config: RunConfig = {
    format: RUN_FORMAT,
    formatVersion: RUN_FORMAT_VERSION,
    version: VERSION,
    model: modelConfig as RunConfig['model'],
    data: {
      dataset: request.dataset,
      shape: trainSet.shape,
      numClasses: trainSet.numClasses,
      classNames: trainSet.classNames,
      trainExamples: trainSet.n,
      limit: request.limit ?? null,
      ...(request.classes ? { classes: request.classes } : {}),
      ...(splits.table ? { table: splits.table } : {}),
      ...(isImageFileDataset(request.dataset) ? { images: { ...imageOptionsOf(request), imageSize: trainSet.shape[0], channels: trainSet.shape[2] } } : {}),
    },
    training: {
      epochs: request.epochs,
      batchSize: request.batchSize,
      lr: request.lr,
      seed: request.seed,
      backend,
      ...(request.binarize !== 'none' ? { binarize: request.binarize } : {}),
      ...(request.validation !== undefined ? { validation: { fraction: request.validation, patience: request.patience ?? DEFAULT_PATIENCE } } : {}),
    },
    networks: Object.keys(model.networks),
    createdAt: new Date().toISOString(),
  };
  return { model, config };
}

/** Epochs without a lower held-out loss before early stopping ends training, when --patience is not given. */
export const DEFAULT_PATIENCE = 10;

/** Train a new run. Everything is checked before the first file is written. */
export async function trainJob(input: TrainRequestInput, options: TrainJobOptions = {}): Promise<TrainJobResult> {
  const parsed = parseTrainRequest(input);
  const splits = binarizedSplits(await trainingSplits(parsed, options.load), parsed.binarize, parsed.seed);
  const request = options.recipeFor ? { ...parsed, ...options.recipeFor(splits.trainSet.n, parsed) } : parsed;
  if (request.patience !== undefined && request.validation === undefined) throw new FieldError('patience', 'applies only with --validation (early stopping)');
  const { model, config } = createModel(request, splits, tf.getBackend());
  const store = options.store ?? new MemoryRunStore(`${request.model}-${request.dataset}`);
  try {
    if (splits.trainSet.n < 1) throw new FieldError('dataset', `${request.dataset} has no training examples`);
    await writeStoredConfig(store, config);
    const result = await train(model, splits.trainSet, splits.testSet, {
      ...config.training,
      hooks: runWriter(store, { seed: request.seed, pictures: options.pictures }),
      engine: options.engine,
      workers: request.workers,
      signal: options.signal,
      onStep: options.onStep,
      onEpoch: options.onEpoch,
      testLimit: options.testLimit,
    });
    return { ...result, config, model, store };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

export interface ResumeOptions extends Omit<TrainJobOptions, 'store'> {
  /** Train up to this many epochs in all (default: the run's own). */
  epochs?: number;
  workers?: number;
}

/** Continue a run from its checkpoint, on the data it was trained on. */
export async function resumeJob(store: RunStore, options: ResumeOptions = {}): Promise<TrainJobResult> {
  const config = await readStoredConfig(store);
  if (!(await hasCheckpoint(store))) throw new UsageError(`${store.name} has no checkpoint to resume from`);
  const epochs = options.epochs ?? config.training.epochs;
  if (!Number.isInteger(epochs) || epochs < 1) throw new FieldError('epochs', `must be a positive integer, got ${epochs}`);
  const { data } = config;
  const binarizeMode = config.training.binarize ?? 'none';
  const spec = { ...data.images, dataset: data.dataset, limit: data.limit ?? undefined, classes: data.classes };
  const splits = binarizedSplits(await trainingSplits(spec, options.load, data.table), binarizeMode, config.training.seed);
  const checkpoint = await loadCheckpoint(store, config);
  try {
    if (epochs !== config.training.epochs) {
      config.training.epochs = epochs;
      await writeStoredConfig(store, config);
    }
    await truncateMetrics(store, checkpoint.state.epochsCompleted, checkpoint.metrics);
    const { batchSize, lr, seed } = config.training;
    const result = await train(checkpoint.model, splits.trainSet, splits.testSet, {
      epochs,
      batchSize,
      lr,
      seed,
      binarize: binarizeMode,
      // The same rows are held out again (seeded); the best epoch is sought among this session's epochs.
      validation: config.training.validation,
      hooks: runWriter(store, { seed, pictures: options.pictures }),
      engine: options.engine,
      workers: options.workers,
      signal: options.signal,
      onStep: options.onStep,
      onEpoch: options.onEpoch,
      testLimit: options.testLimit,
      resume: { state: checkpoint.state, optimizerWeights: checkpoint.optimizerWeights },
    });
    return { ...result, config, model: checkpoint.model, store };
  } catch (err) {
    checkpoint.model.dispose();
    throw err;
  } finally {
    tf.dispose(checkpoint.optimizerWeights.map((w) => w.tensor));
  }
}
