/** Keeping only some classes of a dataset (`--classes`), e.g. one digit for one-class training. */
import { FieldError } from '../errors.js';
import { featureSize, type Dataset } from './types.js';
import { selectPixels } from './pixels.js';

/** "3" or "1,7" as class numbers. */
export function parseClassList(text: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => !/^\d+$/.test(s))) throw new FieldError('classes', `must be a comma list of class numbers like 3 or 1,7, got '${text}'`);
  return [...new Set(items.map(Number))];
}

/**
 * The examples whose label is in `classes`, in their original order (copies;
 * `numClasses` and class names stay, so labels keep their meaning).
 *
 * @throws UsageError for a class outside 0..numClasses−1 or when nothing is left
 */
export function selectClasses(ds: Dataset, classes: readonly number[]): Dataset {
  if (classes.length === 0) throw new FieldError('classes', 'needs at least one class');
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= ds.numClasses) throw new FieldError('classes', `${c} is not a class of ${ds.name} (classes 0..${ds.numClasses - 1})`);
  }
  const wanted = new Set(classes);
  const rows: number[] = [];
  for (let i = 0; i < ds.n; i++) if (wanted.has(ds.labels[i]!)) rows.push(i);
  if (rows.length === 0) throw new FieldError('classes', `${classes.join(',')}: ${ds.name} (${ds.split}) has no examples of these classes`);
  return pickRows(ds, rows);
}

/** A dataset of the given example indices (copies). */
export function pickRows(ds: Dataset, rows: number[]): Dataset {
  const copy = <T extends Float32Array | Uint8Array>(src: T, width: number): T => {
    const out = new (src.constructor as new (n: number) => T)(rows.length * width);
    rows.forEach((r, i) => out.set(src.subarray(r * width, (r + 1) * width), i * width));
    return out;
  };
  const dim = featureSize(ds);
  const out: Dataset = { ...ds, n: rows.length, pixels: selectPixels(ds.pixels, dim, rows), labels: Int32Array.from(rows, (r) => ds.labels[r]!) };
  if (ds.factors) out.factors = { names: ds.factors.names, values: copy(ds.factors.values, ds.factors.names.length) };
  if (ds.sources) out.sources = rows.map((r) => ds.sources![r]!);
  if (ds.table) {
    const { lines } = ds.table;
    out.table = { ...ds.table, missing: copy(ds.table.missing, dim), ...(lines ? { lines: Int32Array.from(rows, (r) => lines[r]!) } : {}) };
  }
  return out;
}
