/**
 * Starting and resuming runs: the glue between datasets, the model registry,
 * the run folder and the training loop. The CLI's `train` is a thin layer on this.
 */
import * as fs from 'node:fs';
import type { BackendChoice } from '../backend/index.js';
import { initBackend } from '../backend/index.js';
import type { ScaleKind } from '../../core/data/csv/scaler.js';
import type { TableSchema } from '../../core/data/csv/schema.js';
import { CSV_PREFIX, loadCsvSplits } from '../../core/data/csv/table.js';
import { loadDataset, takeFirst } from '../../core/data/load.js';
import { selectClasses } from '../../core/data/select.js';
import type { Dataset } from '../../core/data/types.js';
import { UsageError } from '../../core/errors.js';
import { loadBuiltinModels } from '../../core/models/discover.js';
import { getModelDefinition } from '../../core/models/registry.js';
import type { Autoencoder } from '../../core/models/types.js';
import { Rng } from '../../core/random.js';
import { readRunConfig, RUN_FORMAT, RUN_FORMAT_VERSION, runPaths, truncateMetrics, writeRunConfig, type RunConfig } from './run-folder.js';
import { VERSION } from '../../core/version.js';
import { loadCheckpoint } from './checkpoint.js';
import { train, type TrainOptions, type TrainResult } from '../../core/train/trainer.js';

export interface CreateRunOptions {
  dir: string;
  modelName: string;
  /** Model settings as the user gave them (validated by the model's config). */
  modelInput: Record<string, unknown>;
  trainSet: Dataset;
  datasetName: string;
  seed: number;
  backend: string;
  epochs: number;
  batchSize: number;
  lr: number;
  limit: number | null;
  /** --classes, recorded in config.json. */
  classes?: number[];
  /** csv datasets: the schema to save with the run. */
  table?: TableSchema;
}

/** Standardized table columns are real numbers, not intensities in [0, 1]. */
function domainOf(ds: Dataset): 'unit' | 'real' {
  return ds.table && ds.table.scaler.kind === 'standard' ? 'real' : 'unit';
}

/** Validate the model settings, build the model, and write config.json. */
export async function createRun(options: CreateRunOptions): Promise<{ model: Autoencoder; config: RunConfig }> {
  await loadBuiltinModels();
  const definition = getModelDefinition(options.modelName);
  const { trainSet } = options;
  const modelConfig = definition.resolveConfig(options.modelInput, { shape: trainSet.shape, numClasses: trainSet.numClasses, domain: domainOf(trainSet) });
  const model = definition.create(modelConfig, new Rng(options.seed));
  const config: RunConfig = {
    format: RUN_FORMAT,
    formatVersion: RUN_FORMAT_VERSION,
    version: VERSION,
    model: modelConfig as RunConfig['model'],
    data: {
      dataset: options.datasetName,
      shape: trainSet.shape,
      numClasses: trainSet.numClasses,
      classNames: trainSet.classNames,
      trainExamples: trainSet.n,
      limit: options.limit,
      ...(options.classes ? { classes: options.classes } : {}),
      ...(options.table ? { table: options.table } : {}),
    },
    training: { epochs: options.epochs, batchSize: options.batchSize, lr: options.lr, seed: options.seed, backend: options.backend },
    networks: Object.keys(model.networks),
    createdAt: new Date().toISOString(),
  };
  writeRunConfig(options.dir, config);
  return { model, config };
}

export interface TrainRunOptions {
  /** Run folder to create (or, with `resume`, to continue). */
  out: string;
  resume?: boolean;
  model?: string;
  modelInput?: Record<string, unknown>;
  dataset?: string;
  dataDir?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  limit?: number;
  /** Keep only examples of these classes (train and test splits). */
  classes?: number[];
  /** csv: the label column (not a feature). */
  labelColumn?: string;
  /** csv: columns to drop. */
  ignoreColumns?: string[];
  /** csv: per-column scaling fitted on the training rows (default standard). */
  scale?: ScaleKind;
  /** Worker threads for data-parallel training (the trainer's `workers`). */
  workers?: number;
  backend?: BackendChoice;
  signal?: AbortSignal;
  onStep?: TrainOptions['onStep'];
  onEpoch?: TrainOptions['onEpoch'];
  /** Allow writing into a folder that already holds a run. */
  overwrite?: boolean;
  quiet?: boolean;
}

export const TRAIN_DEFAULTS = { model: 'vae', dataset: 'sprites', epochs: 10, batchSize: 128, lr: 1e-3, seed: 0 } as const;

interface SplitRequest {
  dataset: string;
  dataDir?: string;
  limit?: number;
  classes?: number[];
  quiet?: boolean;
  csv?: { labelColumn?: string; ignoreColumns?: string[]; scale?: ScaleKind; schema?: TableSchema };
}

/**
 * Train and test splits, with --classes applied to both before --limit cuts
 * the training split. A CSV file is split here (every 10th row is test) and
 * comes with the schema to save.
 */
async function loadSplits(request: SplitRequest): Promise<{ trainSet: Dataset; testSet: Dataset; table?: TableSchema }> {
  const { dataset, dataDir, limit, classes, quiet } = request;
  if (dataset.startsWith(CSV_PREFIX)) {
    const { trainSet, testSet, schema } = await loadCsvSplits(dataset, { ...request.csv, classes, limit });
    return { trainSet, testSet, table: schema };
  }
  if (request.csv?.labelColumn !== undefined || request.csv?.ignoreColumns !== undefined) {
    throw new UsageError(`--label-column and --ignore-columns apply to csv:<file> datasets, not ${dataset}`);
  }
  let trainSet = await loadDataset(dataset, { split: 'train', dataDir, limit: classes ? undefined : limit, quiet });
  let testSet = await loadDataset(dataset, { split: 'test', dataDir, quiet });
  if (classes) {
    trainSet = selectClasses(trainSet, classes);
    testSet = selectClasses(testSet, classes);
    if (limit !== undefined) trainSet = takeFirst(trainSet, limit);
  }
  return { trainSet, testSet };
}

/** Train a model into a run folder from scratch, or resume one. */
export async function trainRun(options: TrainRunOptions): Promise<TrainResult & { config: RunConfig; model: Autoencoder }> {
  const backend = await initBackend(options.backend ?? 'auto');
  if (options.resume) return resumeRun(options);
  if (fs.existsSync(runPaths(options.out).config) && !options.overwrite) {
    throw new UsageError(`${options.out} already holds a run; use --resume to continue it or choose another --out`);
  }
  const dataset = options.dataset ?? TRAIN_DEFAULTS.dataset;
  const { trainSet, testSet, table } = await loadSplits({
    dataset,
    dataDir: options.dataDir,
    limit: options.limit,
    classes: options.classes,
    quiet: options.quiet,
    csv: { labelColumn: options.labelColumn, ignoreColumns: options.ignoreColumns, scale: options.scale },
  });
  const settings = {
    epochs: options.epochs ?? TRAIN_DEFAULTS.epochs,
    batchSize: options.batchSize ?? TRAIN_DEFAULTS.batchSize,
    lr: options.lr ?? TRAIN_DEFAULTS.lr,
    seed: options.seed ?? TRAIN_DEFAULTS.seed,
  };
  if (fs.existsSync(runPaths(options.out).metrics)) fs.rmSync(runPaths(options.out).metrics);
  const { model, config } = await createRun({
    dir: options.out,
    modelName: options.model ?? TRAIN_DEFAULTS.model,
    modelInput: options.modelInput ?? {},
    trainSet,
    datasetName: dataset,
    backend,
    limit: options.limit ?? null,
    classes: options.classes,
    table,
    ...settings,
  });
  const result = await train(model, trainSet, testSet, { ...settings, runDir: options.out, signal: options.signal, onStep: options.onStep, onEpoch: options.onEpoch, workers: options.workers });
  return { ...result, config, model };
}

async function resumeRun(options: TrainRunOptions): Promise<TrainResult & { config: RunConfig; model: Autoencoder }> {
  const config = readRunConfig(options.out);
  const checkpoint = await loadCheckpoint(options.out, config);
  const epochs = options.epochs ?? config.training.epochs;
  if (epochs !== config.training.epochs) {
    config.training.epochs = epochs;
    writeRunConfig(options.out, config);
  }
  truncateMetrics(options.out, checkpoint.state.epochsCompleted);
  const { trainSet, testSet } = await loadSplits({
    dataset: config.data.dataset,
    dataDir: options.dataDir,
    limit: config.data.limit ?? undefined,
    classes: config.data.classes,
    quiet: options.quiet,
    csv: config.data.table ? { schema: config.data.table } : undefined,
  });
  const { batchSize, lr, seed } = config.training;
  const result = await train(checkpoint.model, trainSet, testSet, {
    epochs,
    batchSize,
    lr,
    seed,
    runDir: options.out,
    signal: options.signal,
    onStep: options.onStep,
    onEpoch: options.onEpoch,
    workers: options.workers,
    resume: { state: checkpoint.state, optimizerWeights: checkpoint.optimizerWeights },
  });
  return { ...result, config, model: checkpoint.model };
}
