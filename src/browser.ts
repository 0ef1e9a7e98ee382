/**
 * latentkit for any JavaScript platform (a page, a Web Worker, Node): the
 * core, with no file system. Models, losses, the training loop and the
 * training job, evaluation, the applications, the request schemas and the
 * jobs over a context. Runs live in RunStores (in memory, IndexedDB, files a
 * user dropped in); datasets come from registered sources (sprites built in).
 *
 * @example
 * ```ts
 * import { initBackend, trainJob } from 'latentkit/browser';
 * await initBackend('auto');
 * const run = await trainJob({ model: 'vae', dataset: 'sprites', latent: 2, epochs: 1 });
 * ```
 */
export { VERSION } from './core/version.js';
export { UsageError, FieldError, DivergenceError, isUsageError, kebabCase, camelCase } from './core/errors.js';
export { Rng } from './core/random.js';

// engine
export { initBackend, ensureBackend, backendCandidates, setBackendPlatform, basePlatform, type BackendPlatform } from './core/backend/init.js';
export { BACKEND_CHOICES, type BackendChoice, type BackendName } from './core/backend/choices.js';
export { SharedProducts, GemmThreads, type SpawnGemmHelper, type GemmHelper } from './core/backend/gemm-threads.js';
export { runGemmHelper, type GemmHelperInit } from './core/backend/gemm-helper.js';

// requests: one schema per job (types, ranges, defaults; JSON Schema via zod)
export * from './core/requests/index.js';

// data
export * from './core/data/index.js';
export { decodeImage } from './core/io/image.js';
export { encodeNpy, decodeNpy } from './core/io/npy.js';

// models
export * from './core/models/types.js';
export { registerModel, getModelDefinition, listModelNames, listModelDefinitions } from './core/models/registry.js';
export { BUILTIN_MODELS } from './core/models/builtin.js';
export { COMMON_FIELDS } from './core/models/shared/config.js';
export { encodeCodes, decodeCodes } from './core/models/inference.js';
export { Vae, reparameterize, betaAt, type VaeConfig } from './core/models/vae/index.js';
export { Ae, type AeConfig } from './core/models/ae/index.js';
export { FastDense, PixelLogVariance } from './core/models/shared/layers.js';
export * as losses from './core/losses/index.js';

// training
export { train, type TrainOptions, type TrainResult, type TrainHooks, type TrainerState, type EpochEnd, type EpochMetrics, type StepProgress } from './core/train/trainer.js';
export { LocalEngine, localEngine, type EngineFactory, type EngineRequest, type StepEngine, type StepValues, type NamedTensor } from './core/train/engine.js';
export { adam, FusedAdamOptimizer } from './core/train/optimizers/adam.js';
export { createOptimizer } from './core/train/optimizer.js';

// runs: config.json, networks, checkpoints and metrics on any store
export { parseRunConfig, formatRunConfig, RUN_FORMAT, RUN_FORMAT_VERSION, type RunConfig } from './core/run/config.js';
export { MemoryRunStore, textBytes, bytesText, type RunStore } from './core/run/store.js';
export { RUN_FILES, loadStoredRun, readStoredConfig, readStoredMetrics, writeStoredConfig, saveModel, restoreModel, modelFiles, appendMetrics, truncateMetrics } from './core/run/run.js';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint, type LoadedCheckpoint } from './core/run/checkpoint.js';
export { runWriter, type RunWriterOptions } from './core/run/writer.js';
export { networkFiles, loadNetworkFiles, type NetworkFiles } from './core/run/networks.js';

// jobs: every job as a function of a request and a context
export * from './core/jobs/index.js';

// evaluation
export { evaluateLoss, type LossSummary } from './core/eval/loss.js';
export { evaluateModel, codesAndErrors, type Evaluation } from './core/eval/evaluate.js';
export { iwaeLogLikelihood, batchBounds, type IwaeOptions, type IwaeResult, type BatchBounds } from './core/eval/iwae.js';
export * as metrics from './core/eval/metrics/index.js';

// pictures
export { tileImages, encodePng, encodeImageGrid, type GridOptions, type Picture } from './core/viz/grid.js';
export * as figures from './core/viz/figures/images.js';
export { interpolationPath, lerp, slerp, type PathKind } from './core/viz/figures/paths.js';
export { projectTo2d, MAX_POINTS as PROJECTION_MAX_POINTS, type Projection, type Projected, type ProjectOptions } from './core/viz/figures/projection.js';

// applications, one namespace each
export * as detect from './core/apps/detect/index.js';
export * as denoise from './core/apps/denoise/index.js';
export * as impute from './core/apps/impute/index.js';
export * as search from './core/apps/search/index.js';
export * as compress from './core/apps/compress/index.js';
export * as edit from './core/apps/edit/index.js';
export * as interpolate from './core/apps/interpolate/index.js';


// a run as operations on rows (the HTTP service's routes), and dynamic batching
export { ModelService, type ModelInfo, type Rows, type ScoreAnswer } from './core/serve/service.js';
export type { SearchHit } from './core/apps/search/search.js';
export { Batcher, type BatcherOptions } from './core/serve/batcher.js';
export { rowsBody, decodeBody, sampleBody, imputeBody, searchBody, interpolateBody, MAX_ROWS, type RowsBody, type DecodeBody, type SampleBody, type ImputeBody, type SearchBody, type InterpolateBody, type InputRow } from './core/serve/bodies.js';
