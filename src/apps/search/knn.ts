/**
 * Exact k-nearest-neighbour search by brute force over all indexed points.
 * At the scale latentkit works at (tens of thousands of codes of a few dozen
 * dimensions) one pass over a Float32Array is milliseconds, so no approximate
 * index is needed. The k best are kept in a bounded max-heap (O(n log k)),
 * not found by sorting all n distances.
 */
import * as tf from '@tensorflow/tfjs-core';

export const METRICS = ['euclidean', 'cosine'] as const;
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

/**
 * Labels of the k nearest points of each of m queries, [m, k]: the batched
 * search behind precision@k. Distances come from one matrix product per block
 * of queries (‖q‖² − 2 q·p + ‖p‖², or 1 − q·p for unit rows), which makes
 * searching raw pixels (d = 784) against 60 000 images affordable.
 */
export function nearestBatch(points: Float32Array, n: number, queries: Float32Array, m: number, d: number, k: number, metric: Metric, block = 128): Int32Array {
  const kk = Math.min(k, n);
  const out = new Int32Array(m * kk);
  const pointNorms = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += points[i * d + j]! ** 2;
    pointNorms[i] = s;
  }
  const all = tf.tensor2d(points, [n, d]); // [n, d]
  try {
    for (let start = 0; start < m; start += block) {
      const end = Math.min(m, start + block);
      const dots = tf.tidy(() => tf.matMul(tf.tensor2d(queries.subarray(start * d, end * d), [end - start, d]), all, false, true).dataSync()); // [b, n]
      for (let q = start; q < end; q++) {
        const top = new TopK(kk);
        const row = (q - start) * n;
        let qNorm = 0;
        for (let j = 0; j < d; j++) qNorm += queries[q * d + j]! ** 2;
        for (let i = 0; i < n; i++) top.offer(metric === 'cosine' ? 1 - dots[row + i]! : qNorm - 2 * dots[row + i]! + pointNorms[i]!, i);
        out.set(top.sorted().indices, q * kk);
      }
    }
  } finally {
    all.dispose();
  }
  return out;
}
