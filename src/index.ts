/**
 * latentkit for Node: everything of `latentkit/browser`, plus what needs a
 * file system and threads. Run folders on disk, datasets from folders, the
 * cache or a download (`mnist`, `fashion-mnist`, `idx:<folder>`,
 * `csv:<file>`), training across worker threads, plots rendered to PNG.
 *
 * @example
 * ```ts
 * import { trainRun, loadRun, evalJob, nodeContext } from 'latentkit';
 * await trainRun({ model: 'vae', dataset: 'mnist', epochs: 10 }, { out: 'runs/vae-mnist' });
 * const result = await evalJob({ run: 'runs/vae-mnist' }, nodeContext());
 * ```
 */
export * from './browser.js';

// the Node platform: backend set-up (tfjs-node, threads, relaxed SIMD), dataset sources
export { initBackend, ensureBackend, enableRelaxedSimd, detectAvailability, nodePlatform, nodeBackendCandidates, computeThreads, defaultComputeThreads, setComputeThreads, type BackendAvailability } from './node/backend/index.js';
export { locateDataset, defaultCacheRoot, REMOTE_DATASETS, DATA_DIR_ENV, type LocateOptions, type RemoteDataset, type RemoteDatasetName } from './node/data/sources.js';
export { downloadVerified, md5Hex, type DownloadOptions } from './node/data/download.js';
export { readIdxDataset, findIdxFile } from './node/data/idx-files.js';
export { IDX_PREFIX } from './node/data/datasets.js';
export { fileTextSource } from './node/files/text.js';

// run folders and training into them
export { trainRun, resumeRun, checkNewRunFolder, type TrainRunOptions, type ResumeRunOptions } from './node/run/train-run.js';
export { loadRun, readRunConfig, readMetrics, runFolder, runPaths } from './node/run/run-folder.js';
export { DirectoryRunStore } from './node/run/directory-store.js';
export { nodeContext, readInputFile, type NodeContextOptions } from './node/context.js';
export { createEngine, chooseWorkers, defaultWorkers } from './node/parallel/engines.js';
export { detectCsvFile, type CsvDetectOptions } from './node/apps/detect-csv.js';

// files
export { writeFileAtomic, atomicWriter, FileSystemError } from './node/files/atomic.js';
export { svgToPng, writePlot } from './node/files/raster.js';

// the CLI, for embedding
/** Run the command line in-process (loaded on first call). */
export async function runCli(...args: Parameters<typeof import('./cli/main.js').main>): ReturnType<typeof import('./cli/main.js').main> {
  const { main } = await import('./cli/main.js');
  return main(...args);
}

// the HTTP service and the lab's server, for embedding (fastify loads on first call)
/** Start the model service of `latentkit serve` (loaded on first call). */
export async function startServer(...args: Parameters<typeof import('./server/serve.js').startServer>): ReturnType<typeof import('./server/serve.js').startServer> {
  const { startServer: start } = await import('./server/serve.js');
  return start(...args);
}
export type { RunningServer } from './server/serve.js';
