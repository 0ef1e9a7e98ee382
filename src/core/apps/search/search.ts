/** Building a search index from a model, querying it, and measuring it (precision@k). */
import * as tf from '@tensorflow/tfjs-core';
import { encodeCodes } from '../../models/inference.js';
import { featureSize, type Dataset } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { datasetPcaCodes, fitDatasetPca } from '../../eval/pixel-pca.js';
import { forEachRowBatch } from '../../data/batches.js';
import type { Autoencoder } from '../../models/types.js';
import { hex, modelId, sameId } from '../compress/model-id.js';
import type { SearchIndex } from './index-file.js';
import { NearestLists, nearest, nearestBatch, normalizeRows, type Metric, type Neighbors } from './knn.js';

/** Encode every example of `ds` into an index (codes unit length for cosine). */
export function buildIndex(model: Autoencoder, ds: Dataset, metric: Metric, limit?: number, onProgress?: (done: number, total: number) => void): SearchIndex {
  const d = model.config.latent;
  const codes = encodeCodes(model, ds, undefined, onProgress);
  return {
    metric,
    dataset: ds.name,
    split: ds.split,
    limit,
    n: ds.n,
    d,
    codes: metric === 'cosine' ? normalizeRows(codes, d) : codes,
    labels: ds.labels,
    modelId: modelId(model),
    ...(ds.sources ? { sources: ds.sources } : {}),
  };
}

/** @throws UsageError when `index` was built with another model (or the run was retrained since) */
export function checkIndexModel(index: SearchIndex, model: Autoencoder, source = 'the index'): void {
  const id = modelId(model);
  if (!sameId(index.modelId, id)) throw new UsageError(`${source} was built with another model (fingerprint ${hex(index.modelId)}, this run has ${hex(id)}); rebuild it with latentkit search index`);
  if (index.d !== model.config.latent) throw new UsageError(`${source} holds codes of size ${index.d} but the model's latent size is ${model.config.latent}`);
}

/** The code of one input x (length h·w·c). */
export function encodeOne(model: Autoencoder, x: Float32Array): Float32Array {
  return tf.tidy(() => model.encode({ x: tf.tensor2d(x, [1, x.length]) }).dataSync() as Float32Array);
}

/** The k nearest indexed examples to the code `z`; `exclude` leaves one example out (the query itself). */
export function queryIndex(index: SearchIndex, z: Float32Array, k: number, exclude?: number): Neighbors {
  const query = index.metric === 'cosine' ? normalizeRows(z, index.d) : z;
  return nearest(index.codes, index.n, index.d, query, k, { metric: index.metric, exclude });
}

/** One neighbour found in an index: its example number, its file (image folders), label and distance. */
export interface SearchHit {
  index: number;
  file?: string;
  label: number;
  distance: number;
}

/** The neighbours `found` as hits, closest first. */
export function hitsOf(index: SearchIndex, found: Neighbors): SearchHit[] {
  return Array.from(found.indices, (i, r) => ({ index: i, ...(index.sources ? { file: index.sources[i]! } : {}), label: index.labels[i]!, distance: found.distances[r]! }));
}

/**
 * Mean over queries of the fraction of their k nearest points that share
 * their label (precision@k). Points and queries are [n, d] and [m, d].
 */
export function precisionAtK(points: Float32Array, pointLabels: Int32Array, queries: Float32Array, queryLabels: Int32Array, d: number, k: number, metric: Metric): number {
  const n = pointLabels.length;
  const m = queryLabels.length;
  const [p, q] = metric === 'cosine' ? [normalizeRows(points, d), normalizeRows(queries, d)] : [points, queries];
  const hits = nearestBatch(p, n, q, m, d, k, metric);
  const kk = Math.min(k, n);
  return sameLabelHits(hits, kk, pointLabels, queryLabels) / (m * kk);
}

/** How many of the kk hits per query ([m, kk]) carry the query's label. */
function sameLabelHits(hits: Int32Array, kk: number, pointLabels: Int32Array, queryLabels: Int32Array): number {
  let same = 0;
  for (let i = 0; i < queryLabels.length; i++) {
    for (let r = 0; r < kk; r++) if (pointLabels[hits[i * kk + r]!] === queryLabels[i]) same++;
  }
  return same;
}

export interface SearchComparison {
  k: number;
  metric: Metric;
  /** Indexed (training) examples and queries. */
  indexed: number;
  queries: number;
  latent: number;
  /** precision@k searching the model's codes, raw pixels, and PCA codes with as many components as the latent. */
  codes: number;
  pixels: number;
  pca: number;
}

/**
 * precision@k of each query in `queries` against all of `indexed`, in three
 * spaces: the model's codes, raw pixels, and PCA (fitted on `indexed`) of the
 * same size as the codes.
 */
export function compareSearch(model: Autoencoder, indexed: Dataset, queries: Dataset, k: number, metric: Metric): SearchComparison {
  const d = model.config.latent;
  const codes = precisionAtK(encodeCodes(model, indexed), indexed.labels, encodeCodes(model, queries), queries.labels, d, k, metric);
  const pixels = pixelPrecisionAtK(indexed, queries, k, metric);
  const pca = fitDatasetPca(indexed, d);
  const pcaPrecision = precisionAtK(datasetPcaCodes(pca, indexed), indexed.labels, datasetPcaCodes(pca, queries), queries.labels, d, k, metric);
  return { k, metric, indexed: indexed.n, queries: queries.n, latent: d, codes, pixels, pca: pcaPrecision };
}

/** Queries and indexed rows searched together in raw pixel space; bounds the float rows held at once. */
const PIXEL_QUERY_BATCH = 1000;
const PIXEL_INDEX_CHUNK = 512;

/**
 * precisionAtK on raw values, read a batch of queries and a chunk of indexed
 * examples at a time, so the splits are never copied whole as floats
 * (a 64×64×3 image is 48 KiB of them). The indexed rows are re-read once per
 * query batch, a small cost beside the distances.
 */
function pixelPrecisionAtK(indexed: Dataset, queries: Dataset, k: number, metric: Metric): number {
  const dim = featureSize(indexed);
  const kk = Math.min(k, indexed.n);
  let same = 0;
  forEachRowBatch(queries, PIXEL_QUERY_BATCH, (q, queryLabels) => {
    const m = queryLabels.length;
    const lists = new NearestLists(m, kk, metric);
    const qs = metric === 'cosine' ? normalizeRows(q, dim) : q;
    forEachRowBatch(indexed, PIXEL_INDEX_CHUNK, (x, _, start, end) => lists.add(metric === 'cosine' ? normalizeRows(x, dim) : x, end - start, start, qs, dim));
    same += sameLabelHits(lists.indices(), kk, indexed.labels, queryLabels);
  });
  return same / (queries.n * kk);
}
