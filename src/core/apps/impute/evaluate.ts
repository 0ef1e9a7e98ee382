/**
 * Measuring imputation: hide known entries, fill them, and compare with the
 * truth on the hidden entries only, beside the baseline that fills every
 * missing entry with its training mean.
 */
import { featureSize, type Dataset, type Scaler } from '../../data/types.js';
import type { Autoencoder } from '../../models/types.js';
import { imputeIteratively, type ImputeOptions, type ImputeResult } from './iterate.js';
import { examplePixels } from '../../data/pixels.js';
import { forEachRowBatch } from '../../data/batches.js';
import { maskRowsOf, type MaskRows } from './mask.js';

/** Per-feature mean of a dataset's rows (float64 sums), as the model sees them. */
export function featureMeans(ds: Dataset): Float32Array {
  const dim = featureSize(ds);
  const sums = new Float64Array(dim);
  for (let i = 0; i < ds.n; i++) {
    const x = examplePixels(ds, i);
    for (let j = 0; j < dim; j++) sums[j] += x[j]!;
  }
  return Float32Array.from(sums, (s) => s / ds.n);
}

/** A table's training means per column in the scaled units the model sees ((mean − offset) / scale). */
export function scaledTableMeans(scaler: Scaler): Float32Array {
  return Float32Array.from(scaler.mean, (m, j) => (m - scaler.offset[j]) / scaler.scale[j]);
}

/** Rows with every missing entry replaced by its feature's mean. */
export function meanImpute(x: Float32Array, missing: Uint8Array, means: Float32Array): Float32Array {
  const out = x.slice();
  for (let i = 0; i < out.length; i++) if (missing[i]) out[i] = means[i % means.length];
  return out;
}

/** √(mean of (a − b)² over the entries where `where` is 1); NaN when there are none. */
export function rmseWhere(a: Float32Array, b: Float32Array, where: Uint8Array): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (!where[i]) continue;
    sum += (a[i] - b[i]) ** 2;
    count++;
  }
  return count === 0 ? Number.NaN : Math.sqrt(sum / count);
}

export interface ImputationScore {
  /** Hidden entries the scores are measured on. */
  hidden: number;
  /** RMSE of the iterative imputation on the hidden entries. */
  rmse: number;
  /** RMSE of mean imputation on the same entries. */
  meanRmse: number;
}

export interface DatasetImputation extends ImputeResult {
  /** Missing entries of the kept rows (hidden plus those already missing in the data), 1 = missing. */
  missing: Uint8Array;
  /** The kept rows mean-imputed, the starting point. */
  meanFilled: Float32Array;
  /** Missing entries filled over all rows, kept or not. */
  missingCount: number;
  /** Present when entries with a known value were hidden. */
  score?: ImputationScore;
}

export interface DatasetImputeOptions extends ImputeOptions {
  /** Rows whose fills are returned (the first `keep`; default all): the rest are only scored. */
  keep?: number;
}

/**
 * Hide the entries of `ds` under `hide` (1 = hide; [n, dim], whole or as rows), add the entries
 * the data already lacks (`ds.table.missing`), fill all of them iteratively
 * from `means`, and score both fills on the hidden entries whose value is known.
 * Rows go through in batches, so only the kept rows' fills are held as floats.
 */
export function imputeDataset(model: Autoencoder, ds: Dataset, hide: Uint8Array | MaskRows | null, means: Float32Array, options: DatasetImputeOptions = {}): DatasetImputation {
  const dim = featureSize(ds);
  const hideRows = hide instanceof Uint8Array ? maskRowsOf(hide, dim) : hide;
  const keep = Math.min(ds.n, options.keep ?? ds.n);
  const batchSize = options.batchSize ?? 500;
  const kept = { missing: new Uint8Array(keep * dim), meanFilled: new Float32Array(keep * dim), filled: new Float32Array(keep * dim) };
  const sums = { hidden: 0, squared: 0, meanSquared: 0, missing: 0 };
  const rounds = { iterations: 0, converged: true, lastChange: 0 };
  forEachRowBatch(ds, batchSize, (truth, labels, start, end) => {
    const { missing, scored } = batchMasks(ds, hideRows?.(start, end) ?? null, start, end, dim);
    const meanFilled = meanImpute(truth, missing, means);
    const result = imputeIteratively(model, truth, missing, means, { ...options, batchSize, labels });
    for (let i = 0; i < missing.length; i++) {
      sums.missing += missing[i]!;
      if (!scored[i]) continue;
      sums.hidden++;
      sums.squared += (result.filled[i]! - truth[i]!) ** 2;
      sums.meanSquared += (meanFilled[i]! - truth[i]!) ** 2;
    }
    rounds.iterations = Math.max(rounds.iterations, result.iterations);
    rounds.converged &&= result.converged;
    rounds.lastChange = Math.max(rounds.lastChange, result.lastChange);
    if (start >= keep) return;
    const shown = (Math.min(end, keep) - start) * dim;
    kept.missing.set(missing.subarray(0, shown), start * dim);
    kept.meanFilled.set(meanFilled.subarray(0, shown), start * dim);
    kept.filled.set(result.filled.subarray(0, shown), start * dim);
  });
  const score = sums.hidden > 0 ? { hidden: sums.hidden, rmse: Math.sqrt(sums.squared / sums.hidden), meanRmse: Math.sqrt(sums.meanSquared / sums.hidden) } : undefined;
  return { ...kept, ...rounds, missingCount: sums.missing, score };
}

/** Rows [start, end) (`hide`: their mask rows): which entries to fill (hidden or absent) and which to score (hidden with a known value). */
function batchMasks(ds: Dataset, hide: Uint8Array | null, start: number, end: number, dim: number): { missing: Uint8Array; scored: Uint8Array } {
  const alreadyMissing = ds.table?.missing;
  const missing = new Uint8Array((end - start) * dim);
  const scored = new Uint8Array(missing.length);
  for (let i = 0; i < missing.length; i++) {
    const at = start * dim + i;
    const known = !alreadyMissing?.[at];
    missing[i] = (hide?.[i] ?? 0) | (known ? 0 : 1);
    scored[i] = hide?.[i] && known ? 1 : 0;
  }
  return { missing, scored };
}
