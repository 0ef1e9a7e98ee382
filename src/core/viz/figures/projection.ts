/**
 * Two-dimensional views of codes for scatter plots: the code itself when it
 * has two dimensions, else PCA (ml-matrix, via fitPca), t-SNE (DruidJS) or
 * UMAP (umap-js), all seeded so the same seed draws the same picture.
 */
import type { PROJECTIONS } from '../../requests/jobs.js';
import { Matrix, TSNE } from '@saehrimnir/druidjs';
import { UMAP } from 'umap-js';
import { mulberry32 } from '../../data/random.js';
import { fitPca, type Pca } from '../../eval/metrics/pca.js';
import { subsampleRows, takeRows } from './codes.js';

/** How codes with more than two dimensions are drawn in 2-D. */
export type Projection = (typeof PROJECTIONS)[number];

/** Default largest number of points drawn per method (t-SNE here is exact, O(n²) per iteration). */
export const MAX_POINTS: Readonly<Record<Projection, number>> = { pca: 10000, tsne: 1000, umap: 2000 };

export interface ProjectOptions {
  /** Default `pca`. With `pca`, codes of at most two dimensions are drawn as they are. */
  method?: Projection;
  /** Seeds the subsample and the t-SNE / UMAP initialisation; default 0. */
  seed?: number;
  /** At most this many points (a seeded random subset); default {@link MAX_POINTS}. */
  maxPoints?: number;
  /** What the rows are, for {@link Projected.method}; default `${dim}-D codes`. */
  subject?: string;
  /** Optimisation steps: t-SNE iterations (default 500) or UMAP epochs (umap-js' default). */
  iterations?: number;
}

/** Points to draw and what they are. */
export interface Projected {
  /** m points as x0, y0, x1, y1, … */
  points: Float32Array;
  /** The row of the input each point comes from, ascending. */
  rows: Int32Array;
  /** Axis titles. */
  axes: [string, string];
  /** How the points were made, e.g. "PCA of 16-D codes (63% of variance)". */
  method: string;
}

/**
 * A 2-D view of n rows of `data` ([n, dim] row-major). PCA is fitted on all
 * rows and then applied to the drawn subset; t-SNE and UMAP run on the subset.
 */
export function projectTo2d(data: Float32Array, n: number, dim: number, options: ProjectOptions = {}): Projected {
  const method = options.method ?? 'pca';
  const seed = options.seed ?? 0;
  const rows = subsampleRows(n, options.maxPoints ?? MAX_POINTS[method], seed);
  const subset = takeRows(data, dim, rows);
  const subject = options.subject ?? `${dim}-D codes`;
  if (method === 'pca' && dim <= 2) return { points: asPairs(subset, dim), rows, axes: ['z1', dim === 2 ? 'z2' : '(none)'], method: subject };
  if (method === 'pca') return { rows, ...pcaView(data, n, dim, subset, rows.length, subject) };
  const points = method === 'tsne' ? tsne(subset, rows.length, dim, seed, options.iterations) : umap(subset, rows.length, dim, seed, options.iterations);
  const name = method === 'tsne' ? 't-SNE' : 'UMAP';
  return { points, rows, axes: [`${name} 1`, `${name} 2`], method: `${name} of ${subject}` };
}

/** 2-D rows as they are; 1-D rows on the x axis (y = 0). */
function asPairs(subset: Float32Array, dim: number): Float32Array {
  if (dim === 2) return subset;
  return Float32Array.from({ length: 2 * subset.length }, (_, i) => (i % 2 === 0 ? subset[i / 2] : 0));
}

function pcaView(data: Float32Array, n: number, dim: number, subset: Float32Array, m: number, subject: string): Omit<Projected, 'rows'> {
  return pcaPoints(fitPca(data, n, dim, 2), subset, m, subject);
}

/** `m` rows of `subset` on the first two components of a fitted PCA. */
export function pcaPoints(pca: Pca, subset: Float32Array, m: number, subject: string): Omit<Projected, 'rows'> {
  const share = Math.round(100 * (pca.explainedVarianceRatio[0] + pca.explainedVarianceRatio[1]));
  return { points: Float32Array.from(pca.project(subset, m)), axes: ['PC1', 'PC2'], method: `PCA of ${subject} (${share}% of variance)` };
}

function toRows(subset: Float32Array, m: number, dim: number): Float64Array[] {
  return Array.from({ length: m }, (_, i) => Float64Array.from(subset.subarray(i * dim, (i + 1) * dim)));
}

function tsne(subset: Float32Array, m: number, dim: number, seed: number, iterations = 500): Float32Array {
  if (m < 4) throw new RangeError(`t-SNE needs at least 4 points, got ${m}`);
  const perplexity = Math.min(30, Math.max(1, Math.floor((m - 1) / 3)));
  const model = new TSNE(Matrix.from(toRows(subset, m, dim)), { perplexity, d: 2, seed });
  model.init();
  return Float32Array.from(model.transform(iterations).values);
}

function umap(subset: Float32Array, m: number, dim: number, seed: number, epochs?: number): Float32Array {
  if (m < 4) throw new RangeError(`UMAP needs at least 4 points, got ${m}`);
  const model = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, m - 1), nEpochs: epochs, random: mulberry32(seed) });
  return Float32Array.from(model.fit(Array.from(toRows(subset, m, dim), (r) => Array.from(r))).flat());
}
