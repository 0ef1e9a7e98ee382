/**
 * latentkit search index|query|evaluate: nearest neighbours among a dataset's
 * codes. The index lives in RUN/search/<dataset>-<split>.index.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildIndex, checkIndexModel, compareSearch, decodeIndex, encodeIndex, encodeOne, indexPath, queryIndex, readQuery, type Metric, type QueryInput, type SearchIndex } from '../../core/apps/search/index.js';
import { featureSize, type Dataset, type Split } from '../../core/data/types.js';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import type { Autoencoder } from '../../core/models/types.js';
import type { RunConfig } from '../../node/run/run-folder.js';
import { encodeImageGrid } from '../../core/viz/grid.js';
import type { CommandIO, CommandRun, OptionValues } from '../options.js';
import { loadDataFor, openRun, outputPath } from './common.js';

type Opened = { dir: string; config: RunConfig; model: Autoencoder };

function neighborsOption(values: OptionValues): number {
  const k = (values.neighbors as number | undefined) ?? 10;
  if (k < 1) throw new UsageError(`--neighbors must be at least 1, got ${k}`);
  return k;
}

async function indexAction({ dir, config, model }: Opened, values: OptionValues, io: CommandIO): Promise<void> {
  if (values.out !== undefined) throw new UsageError('search index writes into RUN/search/; --out is for query pictures');
  const metric = (values.metric as Metric | undefined) ?? 'euclidean';
  const ds = await loadDataFor(config, values);
  const index = buildIndex(model, ds, metric, values.limit as number | undefined);
  const file = indexPath(dir, ds.name, ds.split);
  writeFileAtomic(file, encodeIndex(index));
  if (values.json) io.stdout.write(`${JSON.stringify({ index: file, dataset: ds.name, split: ds.split, examples: index.n, latent: index.d, metric })}\n`);
  else io.stdout.write(`indexed ${index.n} codes of size ${index.d} (${ds.name} ${ds.split}, ${metric}) in ${file}\n`);
}

/** The index of the run's dataset (or --dataset): the training split's if there is one, else the test split's. */
function readIndexFor(dir: string, config: RunConfig, values: OptionValues): { file: string; index: SearchIndex } {
  const dataset = (values.dataset as string | undefined) ?? config.data.dataset;
  const candidates = (['train', 'test'] as Split[]).map((split) => indexPath(dir, dataset, split));
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new UsageError(`no search index of ${dataset} in ${dir}; build one first: latentkit search index --run ${dir} --split train`);
  return { file, index: decodeIndex(fs.readFileSync(file), file) };
}

interface Hit {
  rank: number;
  index: number;
  label: number;
  distance: number;
}

function hitsTable(index: SearchIndex, q: QueryInput, hits: Hit[]): string {
  const head = `nearest ${hits.length} of ${index.n} ${index.dataset} ${index.split} codes to ${q.name}${q.label !== undefined ? ` (label ${q.label})` : ''}, ${index.metric}:`;
  const rows = hits.map((h) => `  ${String(h.rank).padStart(4)}  ${String(h.index).padStart(7)}  ${String(h.label).padStart(5)}  ${h.distance.toFixed(4)}`);
  return `${head}\n  rank    index  label  distance\n${rows.join('\n')}\n`;
}

/** One row per query: the query, then its neighbours. */
function hitsPicture(queries: QueryInput[], results: Hit[][], indexed: Dataset, k: number): Buffer {
  const dim = featureSize(indexed);
  const cols = k + 1;
  const cells = new Float32Array(queries.length * cols * dim).fill(NaN);
  queries.forEach((q, r) => {
    cells.set(q.x, r * cols * dim);
    results[r]!.forEach((h, c) => cells.set(indexed.images.subarray(h.index * dim, (h.index + 1) * dim), (r * cols + c + 1) * dim));
  });
  return encodeImageGrid(cells, queries.length * cols, indexed.shape, { cols, scale: 2 });
}

async function queryAction({ dir, config, model }: Opened, values: OptionValues, io: CommandIO): Promise<void> {
  const k = neighborsOption(values);
  const query = values.query as string | undefined;
  if (query === undefined) throw new UsageError('search query needs --query I|FILE (an example number of --dataset, a .png image or a .csv file)');
  const out = values.out === undefined ? undefined : outputPath(values, 'search', ['.png']);
  const { file, index } = readIndexFor(dir, config, values);
  checkIndexModel(index, model, file);
  if (values.metric !== undefined && values.metric !== index.metric) throw new UsageError(`${file} was built for ${index.metric} distance; rebuild it with --metric ${values.metric}`);
  // The examples behind the index: needed for pictures, and for queries by number when they share the split.
  let indexed: Dataset | undefined;
  const loadIndexed = async () => {
    indexed ??= await loadDataFor(config, { ...values, dataset: index.dataset }, { split: index.split, limit: index.limit });
    if (indexed.n !== index.n) throw new UsageError(`${index.dataset} ${index.split} now has ${indexed.n} examples but ${file} has ${index.n}; rebuild the index`);
    return indexed;
  };
  const querySplit = (values.split as Split | undefined) ?? 'test';
  const sameSplit = querySplit === index.split;
  const queries = await readQuery(query, config.model.inputShape, () => (sameSplit ? loadIndexed() : loadDataFor(config, values)));
  const results = queries.map((q) => {
    // A query that is itself an indexed example is not its own neighbour.
    const found = queryIndex(index, encodeOne(model, q.x), k, sameSplit ? q.row : undefined);
    return Array.from(found.indices, (i, r): Hit => ({ rank: r + 1, index: i, label: index.labels[i]!, distance: found.distances[r]! }));
  });
  if (out) {
    const ds = await loadIndexed();
    if (ds.table) throw new UsageError('--out pictures need an image dataset; use --json for table rows');
    writeFileAtomic(out, hitsPicture(queries, results, ds, k));
  }
  if (values.json) {
    const rows = queries.map((q, r) => ({ query: q.name, row: q.row, label: q.label, neighbors: results[r] }));
    io.stdout.write(`${JSON.stringify({ index: file, metric: index.metric, queries: rows })}\n`);
  } else {
    io.stdout.write(queries.map((q, r) => hitsTable(index, q, results[r]!)).join('\n'));
    if (out) io.stdout.write(`wrote ${out} (one row per query: the query, then its neighbours)\n`);
  }
}

async function evaluateAction({ config, model }: Opened, values: OptionValues, io: CommandIO): Promise<void> {
  const k = neighborsOption(values);
  const metric = (values.metric as Metric | undefined) ?? 'euclidean';
  if (values.split === 'train') throw new UsageError('search evaluate queries the test split against the training split; drop --split train');
  // --limit picks the queries; the index is the whole training set the run was trained on.
  const indexed = await loadDataFor(config, { ...values, limit: undefined }, { split: 'train', limit: config.data.limit ?? undefined });
  // Searching raw pixels costs 784 multiply-adds per pair: 1,000 queries unless --limit says otherwise.
  const queries = await loadDataFor(config, values, { split: 'test', limit: (values.limit as number | undefined) ?? 1000 });
  const result = compareSearch(model, indexed, queries, k, metric);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ dataset: queries.name, ...result })}\n`);
    return;
  }
  const line = (name: string, p: number) => `  ${name.padEnd(22)} ${p.toFixed(4)}\n`;
  io.stdout.write(
    `precision@${k} (${metric}) of ${result.queries} ${queries.name} test queries against ${result.indexed} training examples:\n` +
      line(`codes (${result.latent}-d)`, result.codes) +
      line(`raw pixels (${featureSize(queries)}-d)`, result.pixels) +
      line(`PCA (${result.latent}-d)`, result.pca),
  );
}

export const run: CommandRun = async (values, positionals, io) => {
  const action = positionals[0];
  const opened = await openRun(values, 'search');
  try {
    if (action === 'index') await indexAction(opened, values, io);
    else if (action === 'query') await queryAction(opened, values, io);
    else await evaluateAction(opened, values, io);
    return 0;
  } finally {
    opened.model.dispose();
  }
};
