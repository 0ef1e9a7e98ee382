/**
 * The datasets Node serves from disk, registered with the core's loader when
 * this module is imported: `mnist` and `fashion-mnist` (a local folder, the
 * cache, or a download), `cifar10` (its binary batches, found the same way),
 * `idx:<folder>`, `csv:<file>`, image files (`images:<folder>`,
 * `celeba:<folder>`) and NumPy arrays (`npy:<file>`, `npz:<file>`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CIFAR10_FILES, readCifarBatches } from '../../core/data/cifar.js';
import { CSV_PREFIX, csvPath, loadCsvSplits, loadCsvWithSchema } from '../../core/data/csv/table.js';
import { CLASS_NAMES, registerDatasetSource, type DatasetSource, type LoadOptions } from '../../core/data/load.js';
import { NPY_PREFIX, NPZ_PREFIX, npyDataset, parseNpy, parseNpz } from '../../core/data/npy.js';
import { FieldError, UsageError } from '../../core/errors.js';
import { fileTextSource } from '../files/text.js';
import { locateCifar10 } from './cifar-files.js';
import { celebaSource, imageFolderSource } from './image-datasets.js';
import { readIdxDataset } from './idx-files.js';
import { locateDataset, type RemoteDatasetName } from './sources.js';

/** Prefix naming any folder that holds the four MNIST-style IDX files. */
export const IDX_PREFIX = 'idx:';

function remoteSource(name: RemoteDatasetName): DatasetSource {
  return {
    label: name,
    matches: (n) => n === name,
    async load(_n, options) {
      const folder = await locateDataset(name, options.split, { dataDir: options.dataDir, cacheDir: options.cacheDir, fetch: options.fetch, quiet: options.quiet, env: options.env });
      return readIdxDataset(folder, options.split, { name, imageSize: [28, 28], numClasses: 10, classNames: CLASS_NAMES[name] });
    },
  };
}

const idxSource: DatasetSource = {
  label: `${IDX_PREFIX}<folder>`,
  matches: (name) => name.startsWith(IDX_PREFIX),
  async load(name, options) {
    const folder = name.slice(IDX_PREFIX.length);
    if (folder === '') throw new UsageError(`dataset ${IDX_PREFIX} needs a folder, e.g. ${IDX_PREFIX}./data/my-digits`);
    // Any image size is fine for a user folder; labels are still digits 0..9 as in MNIST.
    return readIdxDataset(folder, options.split, { name, imageSize: 'any', numClasses: 10 });
  },
};

type CsvOptions = NonNullable<LoadOptions['csv']>;

const csvSource: DatasetSource = {
  label: `${CSV_PREFIX}<file>`,
  matches: (name) => name.startsWith(CSV_PREFIX),
  async load(name, options) {
    const csv: CsvOptions = options.csv ?? {};
    const text = fileTextSource(csvPath(name));
    if (csv.schema) return loadCsvWithSchema(name, text, csv.schema, { limit: options.limit, classes: csv.classes, numClasses: csv.numClasses });
    const splits = await loadCsvSplits(name, text, { ...csv, limit: options.split === 'train' ? options.limit : undefined });
    return options.split === 'train' ? splits.trainSet : splits.testSet;
  },
  text: (name) => fileTextSource(csvPath(name)),
  async loadSplits(name, options) {
    const { trainSet, testSet, schema } = await loadCsvSplits(name, fileTextSource(csvPath(name)), { ...options.csv, limit: options.limit });
    return { trainSet, testSet, table: schema };
  },
};

/** Bytes of the file a dataset name points at (`npy:<file>`). */
function datasetFile(name: string, prefix: string): Uint8Array {
  const file = name.slice(prefix.length);
  if (file === '') throw new FieldError('dataset', `${prefix} needs a file, e.g. ${prefix}./data/images${prefix === NPY_PREFIX ? '.npy' : '.npz'}`);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new FieldError('dataset', `${name}: the file ${file} does not exist`);
  return fs.readFileSync(file);
}

const npySource: DatasetSource = {
  label: `${NPY_PREFIX}<file>`,
  matches: (name) => name.startsWith(NPY_PREFIX),
  async load(name, options) {
    return npyDataset(name, options.split, new Map([['x', parseNpy(datasetFile(name, NPY_PREFIX), name.slice(NPY_PREFIX.length))]]));
  },
};

const npzSource: DatasetSource = {
  label: `${NPZ_PREFIX}<file>`,
  matches: (name) => name.startsWith(NPZ_PREFIX),
  async load(name, options) {
    return npyDataset(name, options.split, parseNpz(datasetFile(name, NPZ_PREFIX), name.slice(NPZ_PREFIX.length)));
  },
};

const cifar10Source: DatasetSource = {
  label: 'cifar10',
  matches: (name) => name === 'cifar10',
  async load(name, options) {
    const folder = await locateCifar10(options.split, { dataDir: options.dataDir, cacheDir: options.cacheDir, fetch: options.fetch, quiet: options.quiet, env: options.env });
    const batches = CIFAR10_FILES[options.split].map((f) => ({ file: path.join(folder, f), bytes: fs.readFileSync(path.join(folder, f)) }));
    return readCifarBatches(name, options.split, batches, options.limit);
  },
};

for (const source of [cifar10Source, npySource, npzSource, celebaSource, imageFolderSource, csvSource, idxSource, remoteSource('fashion-mnist'), remoteSource('mnist')]) registerDatasetSource(source);
