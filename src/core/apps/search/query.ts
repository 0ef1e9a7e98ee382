/** Turning a search query (example numbers, an image file, CSV rows) into inputs of the model. */
import { parseCell, parseCsvText } from '../../data/csv/parse.js';
import type { Dataset } from '../../data/types.js';
import { FieldError, UsageError } from '../../errors.js';
import { decodeImage } from '../../io/image.js';
import { examplePixels } from '../../data/pixels.js';

/** The last part of a path, for messages. */
const baseName = (file: string) => file.split(/[\\/]/).pop() ?? file;

export interface QueryInput {
  /** What the user asked for, for messages ("test example 3", "digit.png"). */
  name: string;
  /** Input x, length h·w·c (scaled like the dataset for tables). */
  x: Float32Array;
  /** Row of the query dataset, when the query is one of its examples. */
  row?: number;
  /** That example's file (image folders). */
  file?: string;
  label?: number;
}

/** "3" or "3,14,15": example numbers; anything else is a file. */
export function parseExampleNumbers(query: string): number[] | undefined {
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(query)) return undefined;
  return query.split(',').map((s) => Number(s.trim()));
}

/** Examples `rows` of `ds`. */
export function examplesOf(ds: Dataset, rows: number[]): QueryInput[] {
  return rows.map((row) => {
    if (row >= ds.n) throw new FieldError('query', `${row} is out of range: ${ds.name} ${ds.split} has ${ds.n} examples (0..${ds.n - 1})`);
    const file = ds.sources?.[row];
    return { name: `${ds.split} example ${row}${file !== undefined ? ` (${file})` : ''}`, x: examplePixels(ds, row), row, ...(file !== undefined ? { file } : {}), label: ds.labels[row] };
  });
}

/**
 * Every data row of a CSV file with a header, as scaled feature rows of the
 * tabular dataset `ds` (one query each): columns are matched by name (others
 * are ignored); an empty, NaN or NA cell becomes the training mean, as when
 * the data was loaded. The file is read with the same RFC 4180 tokenizer as
 * datasets, so quoted fields may hold commas and newlines.
 */
export function readCsvQueries(text: string, file: string, ds: Dataset): QueryInput[] {
  const table = ds.table;
  if (!table) throw new FieldError('query', `a CSV file needs a csv dataset; ${ds.name} holds images (give a PNG file or an example number)`);
  const records = parseCsvText(text).filter((r) => r.error || r.fields.some((f) => f.trim() !== ''));
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
    return { name: records.length > 2 ? `${baseName(file)} row ${r + 1}` : baseName(file), x };
  });
}

/** Image files a query may be (decoding any but PNG needs the platform's `readImage`). */
const IMAGE_QUERY_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

/**
 * Inputs of a query: example numbers of `ds`, an image file (a PNG of the
 * model's image size; with `readImage`, whatever it decodes and resizes),
 * or (csv datasets) a CSV file of rows, one query each. `ds` is loaded
 * lazily (an image query of an image model does not need it); `read` gives
 * the bytes of a file.
 */
export async function readQuery(
  query: string,
  shape: readonly [number, number, number],
  dataset: () => Promise<Dataset>,
  read: (file: string) => Promise<Uint8Array>,
  readImage: (file: string, shape: readonly [number, number, number]) => Promise<Float32Array> = async (file) => decodeImage(await read(file), file, shape),
): Promise<QueryInput[]> {
  const rows = parseExampleNumbers(query);
  if (rows) return examplesOf(await dataset(), rows);
  const ext = query.toLowerCase().slice(query.lastIndexOf('.'));
  if (IMAGE_QUERY_EXTENSIONS.has(ext)) return [{ name: baseName(query), x: await readImage(query, shape) }];
  if (ext === '.csv') return readCsvQueries(new TextDecoder().decode(await read(query)), query, await dataset());
  throw new FieldError('query', `must be an example number (e.g. 3 or 3,14), an image (.png, .jpg, .webp) or a .csv file, got '${query}'`);
}
