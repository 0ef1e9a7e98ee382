/**
 * Similarity search as jobs: index a dataset's codes in the run, query the
 * k nearest neighbours, measure precision@k against pixels and PCA.
 */
import type { z } from 'zod';
import { buildIndex, checkIndexModel, compareSearch, decodeIndex, encodeIndex, encodeOne, hitsOf, indexPath, queryIndex, readQuery, type QueryInput, type SearchComparison, type SearchHit, type SearchIndex } from '../apps/search/index.js';
import { dataForRun } from '../data/spec.js';
import { featureSize, type Dataset } from '../data/types.js';
import { FieldError, UsageError } from '../errors.js';
import { searchEvaluateRequest, searchIndexRequest, searchQueryRequest } from '../requests/jobs.js';
import { parseRequest } from '../requests/validate.js';
import type { RunStore } from '../run/store.js';
import { tileImages, type Picture } from '../viz/grid.js';
import { readUserImage, withRun, type JobContext } from './context.js';
import { examplePixels } from '../data/pixels.js';

export interface IndexResult {
  /** Where the index is kept in the run. */
  path: string;
  index: SearchIndex;
}

/** Encode the data into an index kept in the run (search/<dataset>-<split>.index). */
export async function searchIndexJob(input: z.input<typeof searchIndexRequest>, ctx: JobContext): Promise<IndexResult> {
  const request = parseRequest(searchIndexRequest, input);
  return withRun(ctx, request.run, async ({ store, config, model }) => {
    const ds = await dataForRun(config, request, ctx.load);
    const onProgress = ctx.progress ? (done: number, total: number) => ctx.progress!({ what: 'encoding', done, total }) : undefined;
    const index = buildIndex(model, ds, request.metric, request.limit, onProgress);
    const path = indexPath(ds.name, ds.split);
    await store.write(path, encodeIndex(index));
    return { path, index };
  });
}

/** The index of a dataset kept in a run: the training split's if there is one, else the test split's. */
export async function readIndex(store: RunStore, dataset: string): Promise<IndexResult> {
  for (const split of ['train', 'test'] as const) {
    const path = indexPath(dataset, split);
    const bytes = await store.read(path);
    if (bytes) return { path, index: decodeIndex(bytes, `${store.name}/${path}`) };
  }
  throw new UsageError(`no search index of ${dataset} in ${store.name}; build one first (latentkit search index --run ${store.name} --split train)`);
}

export interface Hit extends SearchHit {
  rank: number;
}

export interface QueryResult {
  /** Where the index was read from. */
  path: string;
  index: SearchIndex;
  queries: QueryInput[];
  /** One list per query, closest first. */
  hits: Hit[][];
  /** The indexed examples (for pictures), when they were loaded. */
  indexed?: Dataset;
}

/** The k nearest indexed examples to each query. */
export async function searchQueryJob(input: z.input<typeof searchQueryRequest>, ctx: JobContext, options: { loadIndexed?: boolean } = {}): Promise<QueryResult> {
  const request = parseRequest(searchQueryRequest, input);
  return withRun(ctx, request.run, async ({ store, config, model }) => {
    const { path, index } = await readIndex(store, request.dataset ?? config.data.dataset);
    checkIndexModel(index, model, `${store.name}/${path}`);
    if (request.metric !== undefined && request.metric !== index.metric) throw new FieldError('metric', `${request.metric} differs from the index's (${index.metric}); rebuild the index with it`);
    // The examples behind the index: needed for pictures, and for queries by number when they share the split.
    let indexed: Dataset | undefined;
    const loadIndexed = async () => {
      indexed ??= await dataForRun(config, { ...request, dataset: index.dataset, split: index.split, limit: index.limit }, ctx.load);
      if (indexed.n !== index.n) throw new UsageError(`${index.dataset} ${index.split} now has ${indexed.n} examples but ${path} has ${index.n}; rebuild the index`);
      return indexed;
    };
    const sameSplit = request.split === index.split;
    const queries = await readQuery(request.query, config.model.inputShape, () => (sameSplit ? loadIndexed() : dataForRun(config, request, ctx.load)), (f) => ctx.readFile(f), (f, shape) => readUserImage(ctx, f, shape));
    const hits = queries.map((q) => {
      // A query that is itself an indexed example is not its own neighbour.
      const found = queryIndex(index, encodeOne(model, q.x), request.neighbors, sameSplit ? q.row : undefined);
      return hitsOf(index, found).map((hit, r): Hit => ({ rank: r + 1, ...hit }));
    });
    if (options.loadIndexed) await loadIndexed();
    return { path, index, queries, hits, indexed };
  });
}

/** One row per query: the query, then its neighbours (images only). */
export function hitsPicture(result: QueryResult, k: number): Picture {
  const indexed = result.indexed;
  if (!indexed || indexed.table) throw new UsageError('pictures of hits need an image dataset; use the JSON output for table rows');
  const dim = featureSize(indexed);
  const cols = k + 1;
  const cells = new Float32Array(result.queries.length * cols * dim).fill(Number.NaN);
  result.queries.forEach((q, r) => {
    cells.set(q.x, r * cols * dim);
    result.hits[r]!.forEach((h, c) => cells.set(examplePixels(indexed, h.index), (r * cols + c + 1) * dim));
  });
  return tileImages(cells, result.queries.length * cols, indexed.shape, { cols, scale: 2 });
}

export interface SearchEvaluation extends SearchComparison {
  dataset: string;
  /** Values per raw example (pixels or columns). */
  dim: number;
}

/** precision@k of test queries against the training examples: codes, raw pixels, PCA of the same size. */
export async function searchEvaluateJob(input: z.input<typeof searchEvaluateRequest>, ctx: JobContext): Promise<SearchEvaluation> {
  const request = parseRequest(searchEvaluateRequest, input);
  if (input.split === 'train') throw new FieldError('split', 'must be test: evaluation queries the test split against the training split');
  return withRun(ctx, request.run, async ({ config, model }) => {
    // The index is the whole training set the run was trained on.
    const indexed = await dataForRun(config, { ...request, split: 'train', limit: config.data.limit ?? undefined }, ctx.load);
    // Searching raw pixels costs a multiply-add per pixel per pair: 1,000 queries unless limit says otherwise.
    const queries = await dataForRun(config, { ...request, split: 'test', limit: request.limit ?? 1000 }, ctx.load);
    const result = compareSearch(model, indexed, queries, request.neighbors, request.metric);
    return { dataset: queries.name, ...result, dim: featureSize(queries) };
  });
}
