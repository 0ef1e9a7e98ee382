/**
 * MNIST and Fashion-MNIST in the page: the IDX files fetched from `dataUrl`
 * (`latentkit lab` serves them from the local data folder or cache; a static
 * host can point anywhere), read by the core's IDX reader. Sprites and shapes are
 * built in (the core generates them in the worker).
 */
import { CLASS_NAMES, CSV_PREFIX, UsageError, floatPixels, idxDataset, idxFileNames, loadCsvSplits, loadCsvWithSchema, registerDatasetSource, selectPixels, takeFirst, textSource, type Dataset, type Split } from 'latentkit/browser';
import type { Upload } from './protocol';

const cache = new Map<string, Promise<Dataset>>();

async function fetchFile(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new UsageError(`could not fetch ${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

function load(dataUrl: string, name: 'mnist' | 'fashion-mnist', split: Split): Promise<Dataset> {
  const key = `${name}/${split}`;
  let pending = cache.get(key);
  if (!pending) {
    const files = idxFileNames(split);
    const url = (file: string) => `${dataUrl.replace(/\/$/, '')}/${name}/${file}.gz`;
    pending = Promise.all([fetchFile(url(files.images)), fetchFile(url(files.labels))]).then(([images, labels]) =>
      idxDataset({ images: { name: `${files.images}.gz`, bytes: images }, labels: { name: `${files.labels}.gz`, bytes: labels } }, split, { name, classNames: CLASS_NAMES[name] }),
    );
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
}

export function registerPageDatasets(dataUrl: string): void {
  for (const name of ['mnist', 'fashion-mnist'] as const) {
    registerDatasetSource({
      label: name,
      matches: (n) => n === name,
      async load(_name, options) {
        const ds = await load(dataUrl, name, options.split);
        return options.limit !== undefined && options.limit < ds.n ? takeFirst(ds, options.limit) : ds;
      },
    });
  }
}

/** The user's CSV tables by file name, read as `csv:<name>` like the CLI reads files. */
const tables = new Map<string, string>();
let csvRegistered = false;

/** The examples `isTest` picks held out, the others for training. */
function splitRows(all: Dataset, isTest: (row: number) => boolean): { train: Dataset; test: Dataset } {
  const dim = all.shape.reduce((a, b) => a * b, 1);
  const pick = (test: boolean): Dataset => {
    const rows = Array.from({ length: all.n }, (_, i) => i).filter((i) => isTest(i) === test);
    return { ...all, split: test ? 'test' : 'train', n: rows.length, pixels: selectPixels(all.pixels, dim, rows), labels: Int32Array.from(rows, (r) => all.labels[r]!) };
  };
  return { train: pick(false), test: pick(true) };
}

/** Every 10th example is held out for testing, as the CLI does for tables. */
const splitEvery10 = (all: Dataset) => splitRows(all, (i) => i % 10 === 9);

/** Decoded images in the splits the page chose by the CLI's rule. */
function imageSplits(upload: Extract<Upload, { kind: 'images' }>): { train: Dataset; test: Dataset } {
  const n = upload.labels.length;
  const classNames = upload.classNames.length > 0 ? { classNames: upload.classNames } : {};
  const all: Dataset = { name: 'upload', split: 'train', n, shape: upload.shape, pixels: floatPixels(upload.pixels), labels: upload.labels, numClasses: Math.max(1, upload.classNames.length), ...classNames };
  const splits = splitRows(all, (i) => upload.test[i] === 1);
  const where = upload.splitFolders ? 'train/ and test/' : 'a held-out tenth';
  if (splits.train.n === 0 || splits.test.n === 0) throw new UsageError(`the images give ${splits.train.n} training and ${splits.test.n} test examples (from ${where}); training needs at least one of each`);
  return splits;
}

/** What the data is, in a line: size, classes and splits. */
function describeData(train: Dataset, test: Dataset, splitFolders?: boolean): string {
  const names = train.classNames?.length ? ` (${train.classNames.slice(0, 10).join(', ')}${train.classNames.length > 10 ? ', …' : ''})` : '';
  const from = splitFolders === undefined ? '' : splitFolders ? ' from train/ and test/' : ' held out';
  return `${train.n + test.n} images ${train.shape.join('×')}, ${train.numClasses} classes${names}; ${train.n} train, ${test.n} test${from}`;
}

/** Register an upload as a dataset and return its name and a description. */
export function registerUpload(upload: Upload): { name: string; detail: string } {
  if (upload.kind === 'csv') {
    tables.set(upload.name, upload.text);
    if (!csvRegistered) {
      csvRegistered = true;
      registerDatasetSource({
        label: `${CSV_PREFIX}<uploaded file>`,
        matches: (n) => n.startsWith(CSV_PREFIX) && tables.has(n.slice(CSV_PREFIX.length)),
        text: (n) => textSource(n.slice(CSV_PREFIX.length), tables.get(n.slice(CSV_PREFIX.length))!),
        async load(n, options) {
          const source = textSource(n.slice(CSV_PREFIX.length), tables.get(n.slice(CSV_PREFIX.length))!);
          const csv = options.csv ?? {};
          if (csv.schema) return loadCsvWithSchema(n, source, csv.schema, { limit: options.limit, classes: csv.classes, numClasses: csv.numClasses });
          const splits = await loadCsvSplits(n, source, { ...csv, limit: options.split === 'train' ? options.limit : undefined });
          return options.split === 'train' ? splits.trainSet : splits.testSet;
        },
        async loadSplits(n, options) {
          const { trainSet, testSet, schema } = await loadCsvSplits(n, textSource(n.slice(CSV_PREFIX.length), tables.get(n.slice(CSV_PREFIX.length))!), { ...options.csv, limit: options.limit });
          return { trainSet, testSet, table: schema };
        },
      });
    }
    return { name: `${CSV_PREFIX}${upload.name}`, detail: `table ${upload.name}` };
  }
  let train: Dataset;
  let test: Dataset;
  if (upload.kind === 'idx') {
    const find = (part: string) => upload.files.find(([f]) => f.includes(part));
    const splitOf = (split: Split): Dataset | undefined => {
      const names = idxFileNames(split);
      const images = find(names.images);
      const labels = find(names.labels);
      return images && labels ? idxDataset({ images: { name: images[0], bytes: images[1] }, labels: { name: labels[0], bytes: labels[1] } }, split, { name: 'upload', imageSize: 'any', numClasses: 256 }) : undefined;
    };
    const given = splitOf('train') ?? splitOf('test');
    if (!given) throw new UsageError('IDX upload needs an images file and a labels file (train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz], or the t10k- ones)');
    const numClasses = Math.max(...given.labels) + 1;
    const held = splitOf('test');
    ({ train, test } = held && given.split === 'train' ? { train: given, test: held } : splitEvery10(given));
    train = { ...train, numClasses };
    test = { ...test, numClasses };
  } else {
    ({ train, test } = imageSplits(upload));
  }
  registerDatasetSource({
    label: 'upload',
    matches: (n) => n === 'upload',
    async load(_n, options) {
      const ds = options.split === 'train' ? train : test;
      return options.limit !== undefined && options.limit < ds.n ? takeFirst(ds, options.limit) : ds;
    },
  });
  return { name: 'upload', detail: describeData(train, test, upload.kind === 'images' ? upload.splitFolders : undefined) };
}
