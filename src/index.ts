/**
 * latentkit: autoencoders and variational autoencoders for TypeScript.
 *
 * Node entry point: everything the CLI does is here. The browser entry is
 * `latentkit/browser` (no file system, no dataset downloads).
 *
 * @example
 * ```ts
 * import { trainRun, loadRun, evaluateModel, loadDataset } from 'latentkit';
 * const run = await trainRun({ out: 'runs/vae-mnist', model: 'vae', dataset: 'mnist', epochs: 10 });
 * ```
 */
export { VERSION } from './core/version.js';
export { UsageError, DivergenceError, isUsageError } from './core/errors.js';
export { Rng } from './core/random.js';

// engine
export { initBackend, backendCandidates, detectAvailability, BACKEND_CHOICES, computeThreads, defaultComputeThreads, setComputeThreads, type BackendChoice, type BackendName } from './node/backend/index.js';
export { registerWasmKernels, installLatentkitWasmKernels } from './core/backend/kernels/register.js';

// data
export * from './core/data/index.js';
export { makeBatch, forEachBatch, disposeBatch } from './core/data/batches.js';

// models
export * from './core/models/types.js';
export { registerModel, getModelDefinition, listModelNames, listModelDefinitions } from './core/models/registry.js';
export { loadBuiltinModels } from './core/models/discover.js';
export { Vae, reparameterize, betaAt, type VaeConfig } from './core/models/vae/index.js';
export { Ae, type AeConfig } from './core/models/ae/index.js';
export { PixelLogVariance } from './core/models/shared/layers.js';
export * as losses from './core/losses/index.js';

// training and runs
export { train, type TrainOptions, type TrainResult, type EpochMetrics, type StepProgress } from './core/train/trainer.js';
export { trainRun, createRun, TRAIN_DEFAULTS, type TrainRunOptions } from './node/run/train-run.js';
export { loadRun, readRunConfig, readMetrics, restoreModel, saveNetworks, runPaths, type RunConfig } from './node/run/run-folder.js';
export { generateImages, reconstructImages, renderGenerated, renderReconstructions } from './core/train/snapshots.js';

// evaluation
export { evaluateLoss, type LossSummary } from './core/eval/loss.js';
export { evaluateModel, codesAndReconstructions, representationProbes, type Evaluation } from './core/eval/evaluate.js';
export { iwaeLogLikelihood, type IwaeOptions, type IwaeResult } from './core/eval/iwae.js';
export * as metrics from './core/eval/metrics/index.js';

// pictures and files
export { encodeImageGrid, type GridOptions } from './core/viz/grid.js';
export * as plots from './core/viz/plots/index.js';
export { saveNetwork, loadNetwork } from './node/files/tfjs-files.js';
export { encodeNpy, decodeNpy } from './core/io/npy.js';
export { writeFileAtomic } from './node/files/atomic.js';

// the CLI, for embedding
export { main as runCli } from './cli/main.js';

// applications (issue 5)
export * as detect from './core/apps/detect/index.js';
export { denoiseDataset, denoiseQuality, parseCorrupt, stackedVersions, tableRowsCsv, type DenoiseOptions, type DenoiseQuality, type DenoiseResult } from './core/apps/denoise/index.js';
export { checkImputeSettings, imputeIteratively, imputeDataset, featureMeans, scaledTableMeans, meanImpute, rmseWhere, randomMask, imageMask, repeatMask, parseMask, type ImputeOptions, type ImputeResult, type DatasetImputation, type ImputationScore, type MaskSpec } from './core/apps/impute/index.js';
export * as search from './core/apps/search/index.js';
export * as compress from './core/apps/compress/index.js';
export * as edit from './core/apps/edit/index.js';
export * as interpolate from './core/apps/interpolate/index.js';

// speed (issue 6)
export { adam, FusedAdamOptimizer } from './core/train/optimizers/adam.js';
export { FastDense } from './core/models/shared/layers.js';
export { BatchBuffer } from './core/data/batches.js';
export { chooseWorkers, defaultWorkers } from './node/parallel/engines.js';
