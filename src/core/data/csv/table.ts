/**
 * CSV files as datasets. Training reads the whole file, holds out every
 * 10th data row as the test split, fits the scaler on the training rows and
 * returns a schema to save in the run; applying a run streams the file with
 * that schema into one dataset of every row.
 */
import { FieldError, UsageError } from '../../errors.js';
import type { Dataset, Scaler, Split } from '../types.js';
import { ColumnStats, applyScaler, fitScaler, type ScaleKind } from './scaler.js';
import { BadRows, headerNames, integerLabel, layoutForTraining, readFeatures, type TableSchema } from './schema.js';
import { csvRecords, readCsvBatches, type CsvBatch, type TextSource } from './stream.js';
import { floatPixels } from '../pixels.js';

/** Prefix of a CSV dataset name: `csv:path/to/file.csv`. */
export const CSV_PREFIX = 'csv:';

/** Every 10th data row (the 10th, 20th, ...) is the test split of a CSV file. */
export const CSV_TEST_EVERY = 10;

export interface CsvTrainOptions {
  labelColumn?: string;
  ignoreColumns?: string[];
  /** Default standard. */
  scale?: ScaleKind;
  /** Keep only these classes (before --limit). */
  classes?: number[];
  /** Keep only the first `limit` training rows. */
  limit?: number;
  /** Resume: read with this saved schema instead of fitting a new one. */
  schema?: TableSchema;
}

/** The file name in `csv:FILE`. */
export function csvPath(name: string): string {
  const file = name.slice(CSV_PREFIX.length);
  if (file === '') throw new UsageError(`dataset ${CSV_PREFIX} needs a file, e.g. ${CSV_PREFIX}./data/table.csv`);
  return file;
}

interface RawTable {
  columns: string[];
  labelColumn?: string;
  n: number;
  raw: Float64Array;
  labelCells: string[] | null;
  lines: Int32Array;
}

/** Every data row of the file in raw units, refusing the file if any row is bad. */
async function readRawTable(source: TextSource, options: CsvTrainOptions): Promise<RawTable> {
  const file = source.name;
  const records = csvRecords(source);
  const first = await records.next();
  const layout = layoutForTraining(headerNames(first.done ? undefined : first.value, file), file, options);
  const d = layout.columns.length;
  let raw: Float64Array = new Float64Array(d * 1024);
  let lines: Int32Array = new Int32Array(1024);
  const labelCells: string[] | null = layout.labelIndex >= 0 ? [] : null;
  const bad = new BadRows(file);
  let n = 0;
  for await (const record of records) {
    if (n === lines.length) {
      raw = grow(raw, raw.length * 2);
      lines = grow(lines, lines.length * 2);
    }
    let why = readFeatures(record, layout, raw, n * d);
    const labelCell = labelCells && why === undefined ? record.fields[layout.labelIndex]!.trim() : '';
    if (labelCells && why === undefined && labelCell === '') why = `label column '${layout.labelColumn}' is empty`;
    if (why !== undefined) {
      bad.add(record.line, why);
      continue;
    }
    labelCells?.push(labelCell);
    lines[n++] = record.line;
  }
  bad.throwIfAny();
  return { columns: layout.columns, labelColumn: layout.labelColumn, n, raw: raw.subarray(0, n * d), labelCells, lines: lines.subarray(0, n) };
}

function grow<T extends Float64Array | Int32Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/**
 * Classes of the label cells: the numbers themselves when every cell is a
 * non-negative integer, else the distinct values in sorted order (numeric
 * order when all are numbers), whose text becomes the class names.
 */
export function labelClasses(cells: string[]): { labels: Int32Array; numClasses: number; labelValues?: string[] } {
  const ints = cells.map(integerLabel);
  if (ints.every((v) => v !== undefined)) {
    const labels = Int32Array.from(ints as number[]);
    return { labels, numClasses: maxPlusOne(labels) };
  }
  const distinct = [...new Set(cells)];
  const numeric = distinct.every((v) => Number.isFinite(Number(v)));
  distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  const index = new Map(distinct.map((v, i) => [v, i]));
  return { labels: Int32Array.from(cells, (c) => index.get(c)!), numClasses: distinct.length, labelValues: distinct };
}

/** Labels of a resumed run, mapped as its schema says. */
function labelsBySchema(cells: string[], schema: TableSchema): Int32Array {
  const index = new Map((schema.labelValues ?? []).map((v, i) => [v, i]));
  return Int32Array.from(cells, (c) => {
    const v = schema.labelValues ? index.get(c) : integerLabel(c);
    if (v === undefined) throw new UsageError(`label '${c}' is not one the run was trained with`);
    return v;
  });
}

const maxPlusOne = (labels: Int32Array) => labels.reduce((m, v) => Math.max(m, v + 1), 1);

/** Labels of the rows: none (all 0), mapped by a saved schema (resume), or fitted now. */
function classesOf(table: RawTable, saved: TableSchema | undefined): { labels: Int32Array; numClasses: number; labelValues?: string[] } {
  if (!table.labelCells) return { labels: new Int32Array(table.n), numClasses: 1 };
  if (!saved) return labelClasses(table.labelCells);
  const labels = labelsBySchema(table.labelCells, saved);
  return { labels, numClasses: Math.max(saved.labelValues?.length ?? 0, maxPlusOne(labels)), labelValues: saved.labelValues };
}

function rowsOf(table: RawTable, rows: number[], d: number, name: string, split: Split, scaler: Scaler, labels: Int32Array, numClasses: number, classNames?: string[]): Dataset {
  const raw = new Float64Array(rows.length * d);
  rows.forEach((r, i) => raw.set(table.raw.subarray(r * d, (r + 1) * d), i * d));
  const images = new Float32Array(rows.length * d);
  const missing = new Uint8Array(rows.length * d);
  applyScaler(scaler, raw, images, missing);
  return {
    name,
    split,
    n: rows.length,
    shape: [1, d, 1], // a row is a 1 × d × 1 "image"
    pixels: floatPixels(images),
    labels: Int32Array.from(rows, (r) => labels[r]!),
    numClasses,
    ...(classNames ? { classNames } : {}),
    table: { columns: table.columns, labelColumn: table.labelColumn, missing, scaler, lines: Int32Array.from(rows, (r) => table.lines[r]!) },
  };
}

/**
 * The train and test splits of a CSV file (every 10th data row is test), the
 * scaler fitted on the training rows that are kept (after `classes` and
 * `limit`), and the schema that reads new rows the same way.
 */
export async function loadCsvSplits(name: string, source: TextSource, options: CsvTrainOptions = {}): Promise<{ trainSet: Dataset; testSet: Dataset; schema: TableSchema }> {
  const file = source.name;
  const saved = options.schema;
  const table = await readRawTable(source, saved ? { labelColumn: saved.labelColumn, ignoreColumns: saved.ignoreColumns } : options);
  if (saved && table.columns.join(',') !== saved.columns.join(',')) throw new UsageError(`${file} no longer has the columns the run was trained on (${saved.columns.join(', ')})`);
  if (table.n < CSV_TEST_EVERY) throw new UsageError(`${file} has ${table.n} data rows; training needs at least ${CSV_TEST_EVERY} (every ${CSV_TEST_EVERY}th row is held out for testing)`);
  const d = table.columns.length;
  const { labels, numClasses, labelValues } = classesOf(table, saved);

  for (const c of options.classes ?? []) {
    if (c >= numClasses) throw new UsageError(`class ${c} is not a class of ${file} (classes 0..${numClasses - 1}${labelValues ? `: ${labelValues.join(', ')}` : ''})`);
  }
  // Split by row index first, then filter classes, so a row's split never depends on the filter.
  const rows = Array.from({ length: table.n }, (_, i) => i);
  const keep = (r: number) => options.classes === undefined || options.classes.includes(labels[r]!);
  let trainRows = rows.filter((r) => (r + 1) % CSV_TEST_EVERY !== 0 && keep(r));
  const testRows = rows.filter((r) => (r + 1) % CSV_TEST_EVERY === 0 && keep(r));
  if (options.limit !== undefined) trainRows = trainRows.slice(0, options.limit);
  if (trainRows.length === 0 || testRows.length === 0) throw new FieldError('classes', `${options.classes?.join(',')} leaves no ${trainRows.length === 0 ? 'training' : 'test'} rows of ${file}`);

  let scaler = saved?.scaler;
  if (!scaler) {
    const stats = new ColumnStats(d);
    for (const r of trainRows) stats.add(table.raw.subarray(r * d, (r + 1) * d));
    scaler = fitScaler(options.scale ?? 'standard', stats, table.columns);
  }
  const schema: TableSchema = { columns: table.columns, ...(table.labelColumn ? { labelColumn: table.labelColumn } : {}), ignoreColumns: saved?.ignoreColumns ?? options.ignoreColumns ?? [], scaler, ...(labelValues ? { labelValues } : {}) };
  return {
    trainSet: rowsOf(table, trainRows, d, name, 'train', scaler, labels, numClasses, labelValues),
    testSet: rowsOf(table, testRows, d, name, 'test', scaler, labels, numClasses, labelValues),
    schema,
  };
}

/**
 * Every row of a CSV file read with a run's schema (its columns, label
 * mapping and scaler), as one dataset. `limit` keeps the first rows.
 */
export async function loadCsvWithSchema(name: string, source: TextSource, schema: TableSchema, options: { limit?: number; classes?: number[]; numClasses?: number } = {}): Promise<Dataset> {
  const file = source.name;
  const d = schema.columns.length;
  const parts: { x: Float32Array; missing: Uint8Array; labels: Int32Array | null; lines: Int32Array; n: number }[] = [];
  let n = 0;
  let hasLabels = false;
  const limit = options.limit ?? Infinity;
  for await (const batch of readCsvBatches(source, schema)) {
    hasLabels = batch.labels !== null;
    const kept = keptRows(batch, options.classes).slice(0, limit - n);
    parts.push(pickRows(batch, kept, d));
    n += kept.length;
    if (n >= limit) break;
  }
  if (n === 0) throw options.classes ? new FieldError('classes', `${options.classes.join(',')}: ${file} has no rows of these classes`) : new UsageError(`${file} has no data rows`);
  const images = new Float32Array(n * d);
  const missing = new Uint8Array(n * d);
  const labels = new Int32Array(n);
  const lines = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    images.set(p.x, at * d);
    missing.set(p.missing, at * d);
    if (p.labels) labels.set(p.labels, at);
    lines.set(p.lines, at);
    at += p.n;
  }
  const numClasses = Math.max(options.numClasses ?? 1, schema.labelValues?.length ?? 0, maxPlusOne(labels));
  const labelNames = schema.labelValues;
  const ds: Dataset = {
    name,
    split: 'test',
    n,
    shape: [1, d, 1],
    pixels: floatPixels(images),
    labels,
    numClasses,
    ...(labelNames && hasLabels ? { classNames: labelNames } : {}),
    table: { columns: schema.columns, ...(hasLabels && schema.labelColumn ? { labelColumn: schema.labelColumn } : {}), missing, scaler: schema.scaler, lines },
  };
  return ds;
}

/** Indices of the batch rows whose label is in `classes` (all rows without a filter). */
function keptRows(batch: CsvBatch, classes: number[] | undefined): number[] {
  const all = Array.from({ length: batch.n }, (_, i) => i);
  if (classes === undefined) return all;
  if (!batch.labels) throw new FieldError('classes', 'needs labels, but the file has no label column');
  return all.filter((i) => classes.includes(batch.labels![i]!));
}

function pickRows(batch: CsvBatch, rows: number[], d: number): { x: Float32Array; missing: Uint8Array; labels: Int32Array | null; lines: Int32Array; n: number } {
  const x = new Float32Array(rows.length * d);
  const missing = new Uint8Array(rows.length * d);
  rows.forEach((r, i) => {
    x.set(batch.x.subarray(r * d, (r + 1) * d), i * d);
    missing.set(batch.missing.subarray(r * d, (r + 1) * d), i * d);
  });
  const labels = batch.labels ? Int32Array.from(rows, (r) => batch.labels![r]!) : null;
  return { n: rows.length, x, missing, labels, lines: Int32Array.from(rows, (r) => batch.lines[r]!) };
}
