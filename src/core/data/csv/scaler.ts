/**
 * Per-column scaling fitted on training rows: standard (mean 0, standard
 * deviation 1) or min-max (training range onto [0, 1]). Missing entries
 * (NaN) are skipped when fitting and, when transforming, filled with the
 * training mean, so they land on 0 after standard scaling.
 */
import { FieldError } from '../../errors.js';
import { SCALE_KINDS } from '../../requests/data.js';
import type { Scaler } from '../types.js';

export { SCALE_KINDS };
export type ScaleKind = Scaler['kind'];

/** Running per-column count, mean, M2 (Welford), min and max of the present values. */
export class ColumnStats {
  readonly count: Float64Array;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;

  constructor(readonly d: number) {
    this.count = new Float64Array(d);
    this.mean = new Float64Array(d);
    this.m2 = new Float64Array(d);
    this.min = new Float64Array(d).fill(Infinity);
    this.max = new Float64Array(d).fill(-Infinity);
  }

  /** Add one row of raw values (NaN = missing). */
  add(row: ArrayLike<number>): void {
    for (let j = 0; j < this.d; j++) {
      const v = row[j]!;
      if (Number.isNaN(v)) continue;
      const n = this.count[j]! + 1;
      const delta = v - this.mean[j]!;
      const mean = this.mean[j]! + delta / n;
      this.count[j] = n;
      this.mean[j] = mean;
      this.m2[j] = this.m2[j]! + delta * (v - mean);
      if (v < this.min[j]!) this.min[j] = v;
      if (v > this.max[j]!) this.max[j] = v;
    }
  }
}

/**
 * The scaler of the collected statistics. A constant column gets scale 1
 * (it maps to 0 rather than dividing by zero); a column with no value at
 * all in the training rows is refused.
 */
export function fitScaler(kind: ScaleKind, stats: ColumnStats, columns: readonly string[]): Scaler {
  if (!SCALE_KINDS.includes(kind)) throw new FieldError('scale', `must be one of ${SCALE_KINDS.join(', ')}, got '${String(kind)}'`);
  const offset: number[] = [];
  const scale: number[] = [];
  const mean: number[] = [];
  for (let j = 0; j < stats.d; j++) {
    if (stats.count[j] === 0) throw new FieldError('ignoreColumns', `should list column '${columns[j]}': it has no values in the training rows`);
    mean.push(stats.mean[j]!);
    // Population standard deviation, as scikit-learn's StandardScaler.
    const spread = kind === 'standard' ? Math.sqrt(stats.m2[j]! / stats.count[j]!) : stats.max[j]! - stats.min[j]!;
    offset.push(kind === 'standard' ? stats.mean[j]! : stats.min[j]!);
    scale.push(spread > 0 ? spread : 1);
  }
  return { kind, offset, scale, mean };
}

/**
 * Scale `raw` ([n, d] row-major, NaN = missing) into `out`, filling missing
 * entries with the scaled training mean and marking them in `missing`.
 */
export function applyScaler(scaler: Scaler, raw: ArrayLike<number>, out: Float32Array, missing: Uint8Array): void {
  const d = scaler.offset.length;
  for (let i = 0; i < raw.length; i++) {
    const j = i % d;
    let v = raw[i]!;
    missing[i] = Number.isNaN(v) ? 1 : 0;
    if (missing[i]) v = scaler.mean[j]!;
    out[i] = (v - scaler.offset[j]!) / scaler.scale[j]!;
  }
}

/** Scaled values ([n, d] row-major) back in the file's units. */
export function inverseScaler(scaler: Scaler, scaled: ArrayLike<number>): Float64Array {
  const d = scaler.offset.length;
  const raw = new Float64Array(scaled.length);
  for (let i = 0; i < scaled.length; i++) raw[i] = scaled[i]! * scaler.scale[i % d]! + scaler.offset[i % d]!;
  return raw;
}
