/** Turning --query (example numbers, an image file, a CSV row) into inputs of the model. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCell, parseCsvText } from '../../core/data/csv/parse.js';
import { featureSize, type Dataset } from '../../core/data/types.js';
import { UsageError } from '../../core/errors.js';
import { readImageFile } from '../files/image-file.js';

export interface QueryInput {
  /** What the user asked for, for messages ("test example 3", "digit.png"). */
  name: string;
  /** Input x, length h·w·c (scaled like the dataset for tables). */
  x: Float32Array;
  /** Row of the query dataset, when the query is one of its examples. */
  row?: number;
  label?: number;
}

/** "3" or "3,14,15": example numbers; anything else is a file. */
export function parseExampleNumbers(query: string): number[] | undefined {
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(query)) return undefined;
  return query.split(',').map((s) => Number(s.trim()));
}

/** Examples `rows` of `ds`. */
export function examplesOf(ds: Dataset, rows: number[]): QueryInput[] {
  const dim = featureSize(ds);
  return rows.map((row) => {
    if (row >= ds.n) throw new UsageError(`--query ${row} is out of range: ${ds.name} ${ds.split} has ${ds.n} examples (0..${ds.n - 1})`);
    return { name: `${ds.split} example ${row}`, x: ds.images.slice(row * dim, (row + 1) * dim), row, label: ds.labels[row] };
  });
}

/**
 * Every data row of a CSV file with a header, as scaled feature rows of the
 * tabular dataset `ds` (one query each): columns are matched by name (others
 * are ignored); an empty, NaN or NA cell becomes the training mean, as when
 * the data was loaded. The file is read with the same RFC 4180 tokenizer as
 * datasets, so quoted fields may hold commas and newlines.
 */
export function readCsvQueries(file: string, ds: Dataset): QueryInput[] {
  const table = ds.table;
  if (!table) throw new UsageError(`a CSV query needs a csv dataset; ${ds.name} holds images (give --query a PNG file or an example number)`);
  if (!fs.existsSync(file)) throw new UsageError(`query file ${file} does not exist`);
  const records = parseCsvText(fs.readFileSync(file, 'utf8')).filter((r) => r.error || r.fields.some((f) => f.trim() !== ''));
  const bad = records.find((r) => r.error);
  if (bad) throw new UsageError(`${file} line ${bad.line}: ${bad.error}`);
  if (records.length < 2) throw new UsageError(`${file} needs a header line and at least one row`);
  const header = records[0]!.fields.map((f) => f.trim());
  const at = table.columns.map((column) => {
    const i = header.indexOf(column);
    if (i < 0) throw new UsageError(`${file} has no column '${column}' (the run's features: ${table.columns.join(', ')})`);
    return i;
  });
  return records.slice(1).map((record, r) => {
    const x = new Float32Array(table.columns.length);
    table.columns.forEach((column, j) => {
      const text = record.fields[at[j]!] ?? '';
      const value = parseCell(text);
      if (value === undefined) throw new UsageError(`${file} line ${record.line}, column '${column}': '${text.trim()}' is not a number`);
      x[j] = ((Number.isNaN(value) ? table.scaler.mean[j]! : value) - table.scaler.offset[j]!) / table.scaler.scale[j]!;
    });
    return { name: records.length > 2 ? `${path.basename(file)} row ${r + 1}` : path.basename(file), x };
  });
}

/**
 * Inputs for --query: example numbers of `ds`, a PNG file of the model's
 * image size, or (csv datasets) a CSV file whose first row is the query.
 * `ds` is loaded lazily: a PNG query of an image model does not need it.
 */
export async function readQuery(query: string, shape: readonly [number, number, number], dataset: () => Promise<Dataset>): Promise<QueryInput[]> {
  const rows = parseExampleNumbers(query);
  if (rows) return examplesOf(await dataset(), rows);
  const ext = path.extname(query).toLowerCase();
  if (ext === '.png') return [{ name: path.basename(query), x: readImageFile(query, shape) }];
  if (ext === '.csv') return readCsvQueries(query, await dataset());
  throw new UsageError(`--query must be an example number (e.g. 3 or 3,14), a .png image or a .csv file, got '${query}'`);
}
