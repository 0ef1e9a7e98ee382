/**
 * One entry point for every dataset. Datasets come from sources: the core
 * generates `sprites` and `shapes` (`shapes:<side>`) itself; Node registers `mnist`, `fashion-mnist`,
 * `idx:<folder>` and `csv:<file>` (files, the cache, downloads); the lab
 * registers what the page fetched or the user dropped in.
 */
import { FieldError, UsageError } from '../errors.js';
import type { ScaleKind } from './csv/scaler.js';
import type { TableSchema } from './csv/schema.js';
import type { TextSource } from './csv/stream.js';
import type { ImageReadOptions } from './image-options.js';
import { BINARIZE_MODES } from '../requests/jobs.js';
import { mulberry32 } from './random.js';
import { generateShapes, SHAPES_DEFAULT_SIZE, shapesSize } from './shapes.js';
import { generateSprites, SPRITES_DEFAULT_SIZE } from './sprites.js';
import { featureSize, type Dataset, type Split } from './types.js';
import { BYTE_VALUES, bytePixels, firstPixels, floatPixels } from './pixels.js';

/** Class names of the datasets latentkit knows by name. */
export const CLASS_NAMES: Readonly<Record<'mnist' | 'fashion-mnist', string[]>> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

/** Options of {@link loadDataset}. */
export interface LoadOptions {
  split: Split;
  /** Folder with the dataset's files (`dataDir`); sources that read files use it. */
  dataDir?: string;
  /** Keep only the first `limit` examples (a positive integer). */
  limit?: number;
  /** Replaces the download cache root (sources that download). */
  cacheDir?: string;
  /** Injectable `fetch` (tests simulate offline or serve local bytes). */
  fetch?: typeof fetch;
  /** No progress output during downloads. */
  quiet?: boolean;
  /** Seed of the `sprites` and `shapes` generators (default 0); other datasets ignore it. */
  seed?: number;
  /** Environment to read `LATENTKIT_DATA_DIR` and `XDG_CACHE_HOME` from (Node). */
  env?: Record<string, string | undefined>;
  /**
   * Tables only. Without `schema`, the file is split (every 10th row is
   * test) and scaled by a scaler fitted on its training rows; with a run's
   * `schema`, every row is read with it (`split` is then ignored).
   */
  /** Image files (`images:`, `celeba:`): size, channels, attributes, labels, bad files. */
  images?: ImageReadOptions;
  csv?: { labelColumn?: string; ignoreColumns?: string[]; scale?: ScaleKind; schema?: TableSchema; classes?: number[]; numClasses?: number };
}

/** Both splits of a dataset, and the schema of a table fitted on the training rows. */
export interface Splits {
  trainSet: Dataset;
  testSet: Dataset;
  table?: TableSchema;
}

/** A place datasets come from. */
export interface DatasetSource {
  /** How the list of known datasets names it: `mnist`, `csv:<file>`. */
  readonly label: string;
  matches(name: string): boolean;
  load(name: string, options: LoadOptions): Promise<Dataset>;
  /** Both splits at once, for sources whose splits must be read together (a table fits its scaler on the training rows). */
  loadSplits?(name: string, options: Omit<LoadOptions, 'split'>): Promise<Splits>;
  /** Tables: the raw text, for jobs that stream rows of any number (scoring a file). */
  text?(name: string): TextSource;
}

const spritesSource: DatasetSource = {
  label: 'sprites',
  matches: (name) => name === 'sprites',
  async load(_name, options) {
    // Generate only what is kept: the generator's first N examples do not depend on the total.
    const n = Math.min(options.limit ?? Infinity, SPRITES_DEFAULT_SIZE[options.split]);
    return generateSprites({ split: options.split, n, seed: options.seed });
  },
};

const shapesSource: DatasetSource = {
  label: 'shapes',
  matches: (name) => name === 'shapes' || name.startsWith('shapes:'),
  async load(name, options) {
    const size = shapesSize(name);
    const n = Math.min(options.limit ?? Infinity, SHAPES_DEFAULT_SIZE[options.split]);
    return { ...generateShapes({ split: options.split, n, seed: options.seed, size }), name };
  },
};

const sources: DatasetSource[] = [spritesSource, shapesSource];

/**
 * Add a source. A later source serves a name before an earlier one, so a
 * platform can replace a built-in (a page serving its own copy of mnist).
 */
export function registerDatasetSource(source: DatasetSource): void {
  const i = sources.findIndex((s) => s.label === source.label);
  if (i >= 0) sources.splice(i, 1);
  sources.unshift(source);
}

/** Names of the datasets the registered sources serve. */
export function datasetNames(): string[] {
  return sources.map((s) => s.label);
}

function sourceOf(name: string): DatasetSource {
  const source = sources.find((s) => s.matches(name));
  if (!source) throw new FieldError('dataset', `'${name}' is unknown; known datasets: ${datasetNames().join(', ')}`);
  return source;
}

function checkLimit(limit: number | undefined): void {
  if (limit === undefined) return;
  if (!Number.isInteger(limit) || limit < 1) throw new FieldError('limit', `must be a positive integer, got ${limit}`);
}

/** The first `n` examples of `ds` (copies, so the full arrays can be freed). */
export function takeFirst(ds: Dataset, n: number): Dataset {
  if (n >= ds.n) return ds;
  const dim = featureSize(ds);
  const out: Dataset = { ...ds, n, pixels: firstPixels(ds.pixels, dim, n), labels: ds.labels.slice(0, n) };
  if (ds.factors) {
    const k = ds.factors.names.length;
    out.factors = { names: ds.factors.names, values: ds.factors.values.slice(0, n * k) };
  }
  if (ds.table) out.table = { ...ds.table, missing: ds.table.missing.slice(0, n * dim), ...(ds.table.lines ? { lines: ds.table.lines.slice(0, n) } : {}) };
  if (ds.sources) out.sources = ds.sources.slice(0, n);
  return out;
}

/**
 * Load one split of a dataset by name. Images are scaled to [0, 1]; table
 * rows are scaled as `Dataset.table.scaler` says.
 *
 * @throws UsageError for an unknown name, an invalid `limit`, or data that
 *   cannot be found or is corrupt
 */
export async function loadDataset(name: string, options: LoadOptions): Promise<Dataset> {
  checkLimit(options.limit);
  const ds = await sourceOf(name).load(name, options);
  return options.limit === undefined ? ds : takeFirst(ds, options.limit);
}

/** The text of a table dataset, when its source can stream it. */
export function datasetText(name: string): TextSource | undefined {
  return sourceOf(name).text?.(name);
}

/** Train and test split of a dataset (the source reads them together when it must). */
export async function loadSplits(name: string, options: Omit<LoadOptions, 'split'>): Promise<Splits> {
  checkLimit(options.limit);
  const source = sourceOf(name);
  if (source.loadSplits) return source.loadSplits(name, options);
  const { limit, ...rest } = options;
  return { trainSet: await loadDataset(name, { ...rest, limit, split: 'train' }), testSet: await loadDataset(name, { ...rest, split: 'test' }) };
}

/** How to turn grey levels into {0, 1}: keep them, threshold at 0.5, or sample. */
export { BINARIZE_MODES };
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
  if (mode !== 'static' && mode !== 'dynamic') throw new UsageError(`unknown binarization '${String(mode)}'; use one of ${BINARIZE_MODES.join(', ')}`);
  // Each value is read as float32 (a byte through its table), so bytes draw exactly as floats did.
  // Images stay bytes (0 or 255), tables float32 (0 or 1).
  const { data } = ds.pixels;
  const table = ds.pixels.kind === 'uint8' ? BYTE_VALUES : undefined;
  const out = table ? new Uint8Array(data.length) : new Float32Array(data.length);
  const one = table ? 255 : 1;
  const rand = mulberry32(seed);
  for (let i = 0; i < data.length; i++) {
    const v = table ? table[data[i]!]! : data[i]!;
    if (mode === 'static' ? v >= 0.5 : rand() < v) out[i] = one;
  }
  return { ...ds, pixels: out instanceof Uint8Array ? bytePixels(out) : floatPixels(out) };
}
