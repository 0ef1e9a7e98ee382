/**
 * Measuring imputation: hide known entries, fill them, and compare with the
 * truth on the hidden entries only, beside the baseline that fills every
 * missing entry with its training mean.
 */
import { featureSize, type Dataset, type Scaler } from '../../data/types.js';
import type { Autoencoder } from '../../models/types.js';
import { imputeIteratively, type ImputeOptions, type ImputeResult } from './iterate.js';
import { examplePixels, pixelRange } from '../../data/pixels.js';

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
  /** Missing entries (hidden plus those already missing in the data), 1 = missing. */
  missing: Uint8Array;
  /** The mean-imputed rows, the starting point. */
  meanFilled: Float32Array;
  /** Present when entries with a known value were hidden. */
  score?: ImputationScore;
}

/**
 * Hide the entries of `ds` under `hide` (1 = hide; [n, dim]), add the entries
 * the data already lacks (`ds.table.missing`), fill all of them iteratively
 * from `means`, and score both fills on the hidden entries whose value is known.
 */
export function imputeDataset(model: Autoencoder, ds: Dataset, hide: Uint8Array | null, means: Float32Array, options: ImputeOptions = {}): DatasetImputation {
  const dim = featureSize(ds);
  const truth = pixelRange(ds);
  const alreadyMissing = ds.table?.missing;
  const missing = new Uint8Array(ds.n * dim);
  const scored = new Uint8Array(ds.n * dim);
  for (let i = 0; i < missing.length; i++) {
    const known = !alreadyMissing?.[i];
    missing[i] = (hide?.[i] ?? 0) | (known ? 0 : 1);
    scored[i] = hide?.[i] && known ? 1 : 0;
  }
  const meanFilled = meanImpute(truth, missing, means);
  const result = imputeIteratively(model, truth, missing, means, { labels: ds.labels, ...options });
  const hidden = scored.reduce((s, v) => s + v, 0);
  const score = hidden > 0 ? { hidden, rmse: rmseWhere(result.filled, truth, scored), meanRmse: rmseWhere(meanFilled, truth, scored) } : undefined;
  return { ...result, missing, meanFilled, score };
}
