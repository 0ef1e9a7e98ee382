/**
 * One entry point for every dataset: `mnist`, `fashion-mnist`, `sprites`,
 * `idx:<folder>` and `csv:<file>`.
 */
import { UsageError } from '../errors.js';
import type { ScaleKind } from './csv/scaler.js';
import type { TableSchema } from './csv/schema.js';
import { CSV_PREFIX, loadCsvSplits, loadCsvWithSchema } from './csv/table.js';
import { readIdxDataset } from './idx.js';
import { mulberry32 } from './random.js';
import { locateDataset, type LocateOptions, type RemoteDatasetName } from '../../node/data/sources.js';
import { generateSprites, SPRITES_DEFAULT_SIZE } from './sprites.js';
import { featureSize, type Dataset, type Split } from './types.js';

/** Names `loadDataset` accepts, besides `idx:<folder>` and `csv:<file>`. */
export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'sprites'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Prefix naming any folder that holds the four MNIST-style IDX files. */
export const IDX_PREFIX = 'idx:';

const CLASS_NAMES: Record<RemoteDatasetName, string[]> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

/** Options of {@link loadDataset}. */
export interface LoadOptions {
  split: Split;
  /** Folder with the IDX files, or with a `mnist/` / `fashion-mnist/` subfolder (`--data-dir`). */
  dataDir?: string;
  /** Keep only the first `limit` examples (a positive integer). */
  limit?: number;
  /** Replaces the download cache root `$XDG_CACHE_HOME/latentkit/datasets`. */
  cacheDir?: string;
  /** Injectable `fetch` (tests simulate offline or serve local bytes). */
  fetch?: typeof fetch;
  /** No progress output during downloads. */
  quiet?: boolean;
  /** Seed of the `sprites` generator (default 0); other datasets ignore it. */
  seed?: number;
  /** Environment to read `LATENTKIT_DATA_DIR` and `XDG_CACHE_HOME` from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * `csv:<file>` only. Without `schema`, the file is split (every 10th row is
   * test) and scaled by a scaler fitted on its training rows; with a run's
   * `schema`, every row is read with it (`split` is then ignored).
   */
  csv?: { labelColumn?: string; ignoreColumns?: string[]; scale?: ScaleKind; schema?: TableSchema };
}

function checkLimit(limit: number | undefined): void {
  if (limit === undefined) return;
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`limit must be a positive integer (got ${limit})`);
}

/** The first `n` examples of `ds` (copies, so the full arrays can be freed). */
export function takeFirst(ds: Dataset, n: number): Dataset {
  if (n >= ds.n) return ds;
  const dim = featureSize(ds);
  const out: Dataset = { ...ds, n, images: ds.images.slice(0, n * dim), labels: ds.labels.slice(0, n) };
  if (ds.factors) {
    const k = ds.factors.names.length;
    out.factors = { names: ds.factors.names, values: ds.factors.values.slice(0, n * k) };
  }
  if (ds.table) out.table = { ...ds.table, missing: ds.table.missing.slice(0, n * dim), ...(ds.table.lines ? { lines: ds.table.lines.slice(0, n) } : {}) };
  return out;
}

async function loadRemote(name: RemoteDatasetName, options: LoadOptions): Promise<Dataset> {
  const locate: LocateOptions = { dataDir: options.dataDir, cacheDir: options.cacheDir, fetch: options.fetch, quiet: options.quiet, env: options.env };
  const folder = await locateDataset(name, options.split, locate);
  return readIdxDataset(folder, options.split, { name, imageSize: [28, 28], numClasses: 10, classNames: CLASS_NAMES[name] });
}

function loadIdxFolder(name: string, split: Split): Dataset {
  const folder = name.slice(IDX_PREFIX.length);
  if (folder === '') throw new UsageError(`${IDX_PREFIX} needs a folder, e.g. ${IDX_PREFIX}./data/my-digits`);
  // Any image size is fine for a user folder; labels are still digits 0..9 as in MNIST.
  return readIdxDataset(folder, split, { name, imageSize: 'any', numClasses: 10 });
}

/**
 * Load one split of a dataset: `mnist`, `fashion-mnist` (local folders, the
 * cache, or a download; see `locateDataset`), `sprites` (generated from
 * `seed`), `idx:<folder>` or `csv:<file>` (see `LoadOptions.csv`). Images
 * are scaled to [0, 1]; table rows are scaled as `Dataset.table.scaler` says.
 *
 * @throws UsageError for an unknown name, an invalid `limit`, or data that
 *   cannot be found or is corrupt
 */
export async function loadDataset(name: string, options: LoadOptions): Promise<Dataset> {
  checkLimit(options.limit);
  let ds: Dataset;
  if (name === 'mnist' || name === 'fashion-mnist') {
    ds = await loadRemote(name, options);
  } else if (name === 'sprites') {
    // Generate only what is kept: the generator's first N examples do not depend on the total.
    const n = Math.min(options.limit ?? Infinity, SPRITES_DEFAULT_SIZE[options.split]);
    ds = generateSprites({ split: options.split, n, seed: options.seed });
  } else if (name.startsWith(IDX_PREFIX)) {
    ds = loadIdxFolder(name, options.split);
  } else if (name.startsWith(CSV_PREFIX)) {
    const csv = options.csv ?? {};
    if (csv.schema) return loadCsvWithSchema(name, csv.schema, { limit: options.limit });
    const splits = await loadCsvSplits(name, { ...csv, limit: options.split === 'train' ? options.limit : undefined });
    ds = options.split === 'train' ? splits.trainSet : splits.testSet;
  } else {
    throw new UsageError(`unknown dataset '${name}'; known datasets: ${DATASET_NAMES.join(', ')}, ${IDX_PREFIX}<folder>, ${CSV_PREFIX}<file>`);
  }
  return options.limit === undefined ? ds : takeFirst(ds, options.limit);
}

/** How to turn grey levels into {0, 1}: keep them, threshold at 0.5, or sample. */
export const BINARIZE_MODES = ['none', 'static', 'dynamic'] as const;
export type BinarizeMode = (typeof BINARIZE_MODES)[number];

/**
 * Binarize pixel intensities, returning a new dataset (the input is untouched,
 * so dynamic binarization can be re-sampled from it every epoch).
 *
 * - `none`: return `ds` itself;
 * - `static`: pixel ≥ 0.5 → 1, else 0 (deterministic);
 * - `dynamic`: pixel → 1 with probability equal to its intensity, drawn from
 *   a PRNG seeded with `seed` (pass a different seed each epoch).
 */
export function binarize(ds: Dataset, mode: BinarizeMode, seed = 0): Dataset {
  if (mode === 'none') return ds;
  const src = ds.images;
  const images = new Float32Array(src.length);
  if (mode === 'static') {
    for (let i = 0; i < src.length; i++) images[i] = src[i]! >= 0.5 ? 1 : 0;
  } else if (mode === 'dynamic') {
    const rand = mulberry32(seed);
    for (let i = 0; i < src.length; i++) images[i] = rand() < src[i]! ? 1 : 0;
  } else {
    throw new UsageError(`unknown binarization '${String(mode)}'; use one of ${BINARIZE_MODES.join(', ')}`);
  }
  return { ...ds, images };
}
