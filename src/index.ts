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
export { VERSION } from './version.js';
export { UsageError, DivergenceError, isUsageError } from './errors.js';
export { Rng } from './random.js';

// engine
export { initBackend, backendCandidates, detectAvailability, BACKEND_CHOICES, computeThreads, defaultComputeThreads, setComputeThreads, type BackendChoice, type BackendName } from './backend/index.js';
export { registerWasmKernels, installLatentkitWasmKernels } from './backend/kernels/register.js';

// data
export * from './data/index.js';
export { makeBatch, forEachBatch, disposeBatch } from './data/batches.js';

// models
export * from './models/types.js';
export { registerModel, getModelDefinition, listModelNames, listModelDefinitions } from './models/registry.js';
export { loadBuiltinModels } from './models/discover.js';
export { Vae, reparameterize, betaAt, type VaeConfig } from './models/vae/index.js';
export { Ae, type AeConfig } from './models/ae/index.js';
export { PixelLogVariance } from './models/shared/layers.js';
export * as losses from './losses/index.js';

// training and runs
export { train, type TrainOptions, type TrainResult, type EpochMetrics, type StepProgress } from './train/trainer.js';
export { trainRun, createRun, TRAIN_DEFAULTS, type TrainRunOptions } from './train/run.js';
export { loadRun, readRunConfig, readMetrics, restoreModel, saveNetworks, runPaths, type RunConfig } from './run/run-folder.js';
export { generateImages, reconstructImages, renderGenerated, renderReconstructions } from './train/snapshots.js';

// evaluation
export { evaluateLoss, type LossSummary } from './eval/loss.js';
export { evaluateModel, codesAndReconstructions, representationProbes, type Evaluation } from './eval/evaluate.js';
export { iwaeLogLikelihood, type IwaeOptions, type IwaeResult } from './eval/iwae.js';
export * as metrics from './eval/metrics/index.js';

// pictures and files
export { encodeImageGrid, type GridOptions } from './viz/grid.js';
export * as plots from './viz/plots/index.js';
export { saveNetwork, loadNetwork } from './io/tfjs-files.js';
export { encodeNpy, decodeNpy } from './io/npy.js';
export { writeFileAtomic } from './io/atomic.js';

// the CLI, for embedding
export { main as runCli } from './cli/main.js';

// applications (issue 5)
export * as detect from './apps/detect/index.js';
export { denoiseDataset, denoiseQuality, parseCorrupt, stackedVersions, tableRowsCsv, type DenoiseOptions, type DenoiseQuality, type DenoiseResult } from './apps/denoise/index.js';
export { checkImputeSettings, imputeIteratively, imputeDataset, featureMeans, scaledTableMeans, meanImpute, rmseWhere, randomMask, imageMask, repeatMask, parseMask, type ImputeOptions, type ImputeResult, type DatasetImputation, type ImputationScore, type MaskSpec } from './apps/impute/index.js';
export * as search from './apps/search/index.js';
export * as compress from './apps/compress/index.js';
export * as edit from './apps/edit/index.js';
export * as interpolate from './apps/interpolate/index.js';

// speed (issue 6)
export { adam, FusedAdamOptimizer } from './train/optimizers/adam.js';
export { FastDense } from './models/shared/layers.js';
export { BatchBuffer } from './data/batches.js';
export { chooseWorkers, defaultWorkers } from './train/parallel/engines.js';
