/**
 * Exact k-nearest-neighbour search by brute force over all indexed points.
 * At the scale latentkit works at (tens of thousands of codes of a few dozen
 * dimensions) one pass over a Float32Array is milliseconds, so no approximate
 * index is needed. The k best are kept in a bounded max-heap (O(n log k)),
 * not found by sorting all n distances.
 */
import { SEARCH_METRICS } from '../../requests/jobs.js';

export const METRICS = SEARCH_METRICS;
export type Metric = (typeof METRICS)[number];

/** The k nearest points, closest first. */
export interface Neighbors {
  indices: Int32Array;
  distances: Float32Array;
}

/**
 * Rows scaled to unit length (zero rows stay zero), so that cosine distance
 * is 1 − dot product. Done once when indexing.
 */
export function normalizeRows(x: Float32Array, d: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let start = 0; start < x.length; start += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[start + j]! * x[start + j]!;
    const scale = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) out[start + j] = x[start + j]! * scale;
  }
  return out;
}

/**
 * Keeps the k smallest (distance, index) pairs seen; the root is the worst
 * kept. Ties go to the smaller index, so results are deterministic.
 */
class TopK {
  readonly dist: Float64Array;
  readonly idx: Int32Array;
  size = 0;

  constructor(readonly k: number) {
    this.dist = new Float64Array(k);
    this.idx = new Int32Array(k);
  }

  /** Whether (a, i) is worse than (b, j). */
  private static worse(a: number, i: number, b: number, j: number): boolean {
    return a > b || (a === b && i > j);
  }

  offer(distance: number, index: number): void {
    const { dist, idx, k } = this;
    if (this.size < k) {
      // Sift up from the new leaf.
      let c = this.size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!TopK.worse(distance, index, dist[p]!, idx[p]!)) break;
        dist[c] = dist[p]!;
        idx[c] = idx[p]!;
        c = p;
      }
      dist[c] = distance;
      idx[c] = index;
      return;
    }
    if (!TopK.worse(dist[0]!, idx[0]!, distance, index)) return;
    // Replace the root and sift down.
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= k) break;
      const r = l + 1;
      const big = r < k && TopK.worse(dist[r]!, idx[r]!, dist[l]!, idx[l]!) ? r : l;
      if (!TopK.worse(dist[big]!, idx[big]!, distance, index)) break;
      dist[c] = dist[big]!;
      idx[c] = idx[big]!;
      c = big;
    }
    dist[c] = distance;
    idx[c] = index;
  }

  /** Kept pairs, best first. */
  sorted(): { indices: Int32Array; distances: Float64Array } {
    const order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) => this.dist[a]! - this.dist[b]! || this.idx[a]! - this.idx[b]!);
    return { indices: Int32Array.from(order, (i) => this.idx[i]!), distances: Float64Array.from(order, (i) => this.dist[i]!) };
  }
}

export interface SearchOptions {
  metric: Metric;
  /** A point index to leave out (the query itself, when it is one of the points). */
  exclude?: number;
}

/**
 * The k nearest of n points ([n, d] row-major) to `query` (length d).
 * Euclidean: ‖p − q‖. Cosine: 1 − p·q, where points and query must already
 * be unit length (see {@link normalizeRows}).
 */
export function nearest(points: Float32Array, n: number, d: number, query: ArrayLike<number>, k: number, options: SearchOptions): Neighbors {
  if (query.length !== d) throw new RangeError(`nearest: query has ${query.length} values, the points have ${d}`);
  const top = new TopK(Math.min(k, n - (options.exclude !== undefined && options.exclude < n ? 1 : 0)));
  if (top.k <= 0) return { indices: new Int32Array(0), distances: new Float32Array(0) };
  const cosine = options.metric === 'cosine';
  for (let i = 0; i < n; i++) {
    if (i === options.exclude) continue;
    const base = i * d;
    let s = 0;
    if (cosine) {
      for (let j = 0; j < d; j++) s += points[base + j]! * query[j]!;
      s = 1 - s;
    } else {
      for (let j = 0; j < d; j++) {
        const diff = points[base + j]! - query[j]!;
        s += diff * diff;
      }
    }
    top.offer(s, i);
  }
  const { indices, distances } = top.sorted();
  return { indices, distances: Float32Array.from(distances, (v) => (cosine ? v : Math.sqrt(v))) };
}

/** Rows as compressed sparse rows, with each row's squared norm. */
function sparseRows(points: Float32Array, n: number, d: number): { start: Int32Array; cols: Int32Array; vals: Float32Array; sqNorm: Float64Array } {
  let nonZero = 0;
  for (let i = 0; i < n * d; i++) if (points[i] !== 0) nonZero++;
  const start = new Int32Array(n + 1);
  const cols = new Int32Array(nonZero);
  const vals = new Float32Array(nonZero);
  const sqNorm = new Float64Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = points[i * d + j]!;
      if (v === 0) continue;
      cols[at] = j;
      vals[at++] = v;
      sqNorm[i]! += v * v;
    }
    start[i + 1] = at;
  }
  return { start, cols, vals, sqNorm };
}

/**
 * The indices of the k nearest points of each of m queries, [m, k]: the
 * batched search behind precision@k. Distances are ‖q‖² − 2 q·p + ‖p‖² (or
 * 1 − q·p for unit rows) with q·p summed over the non-zero entries of p only:
 * MNIST pixels are ~80% zeros, which makes searching raw pixels (d = 784)
 * against 60,000 images about five times cheaper. Dense data costs the same as
 * the direct loop. (A tf.matMul here was far slower on the wasm backend.)
 */
export function nearestBatch(points: Float32Array, n: number, queries: Float32Array, m: number, d: number, k: number, metric: Metric): Int32Array {
  const lists = new NearestLists(m, Math.min(k, n), metric);
  lists.add(points, n, 0, queries, d);
  return lists.indices();
}

/**
 * The k nearest points of each of m queries, fed the points a chunk at a
 * time, so that a point set larger than memory as floats (colour images) can
 * be searched: the same answer as {@link nearestBatch} on all of them.
 */
export class NearestLists {
  private readonly tops: TopK[];

  /** `k`: neighbours kept per query (at most the number of points that will be added). */
  constructor(
    readonly m: number,
    readonly k: number,
    readonly metric: Metric,
  ) {
    this.tops = Array.from({ length: m }, () => new TopK(k));
  }

  /** Offer `n` points [n, d], numbered from `first`, to every query of `queries` [m, d]. */
  add(points: Float32Array, n: number, first: number, queries: Float32Array, d: number): void {
    if (queries.length !== this.m * d) throw new RangeError(`NearestLists.add: queries hold ${queries.length} values, expected ${this.m} × ${d}`);
    const { start, cols, vals, sqNorm } = sparseRows(points, n, d);
    for (let q = 0; q < this.m; q++) {
      const query = queries.subarray(q * d, (q + 1) * d);
      let qNorm = 0;
      for (let j = 0; j < d; j++) qNorm += query[j]! * query[j]!;
      const top = this.tops[q]!;
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let at = start[i]!; at < start[i + 1]!; at++) dot += vals[at]! * query[cols[at]!]!;
        top.offer(this.metric === 'cosine' ? 1 - dot : qNorm - 2 * dot + sqNorm[i]!, first + i);
      }
    }
  }

  /** [m, k]: each query's neighbours, closest first. */
  indices(): Int32Array {
    const out = new Int32Array(this.m * this.k);
    this.tops.forEach((top, q) => out.set(top.sorted().indices, q * this.k));
    return out;
  }
}
