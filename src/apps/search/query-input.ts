/** Turning --query (example numbers, an image file, a CSV row) into inputs of the model. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { featureSize, type Dataset } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { readImageFile } from '../../io/image-file.js';

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

/** Split one CSV line on commas, honouring double quotes. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted && ch === '"' && line[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += ch;
    }
  }
  cells.push(cell.trim());
  return cells;
}

/**
 * The first data row of a CSV file with a header, as a scaled feature row of
 * the tabular dataset `ds`: columns are matched by name (others are ignored),
 * an empty or NaN cell becomes the training mean, as when the data was loaded.
 */
export function readCsvQuery(file: string, ds: Dataset): QueryInput {
  const table = ds.table;
  if (!table) throw new UsageError(`a CSV query needs a csv dataset; ${ds.name} holds images (give --query a PNG file or an example number)`);
  if (!fs.existsSync(file)) throw new UsageError(`query file ${file} does not exist`);
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new UsageError(`${file} needs a header line and at least one row`);
  const header = csvCells(lines[0]!);
  const cells = csvCells(lines[1]!);
  const x = new Float32Array(table.columns.length);
  table.columns.forEach((column, j) => {
    const at = header.indexOf(column);
    if (at < 0) throw new UsageError(`${file} has no column '${column}' (the run's features: ${table.columns.join(', ')})`);
    const text = cells[at] ?? '';
    const value = text === '' || text.toLowerCase() === 'nan' ? table.scaler.mean[j]! : Number(text);
    if (!Number.isFinite(value)) throw new UsageError(`${file} row 1, column '${column}': '${text}' is not a number`);
    x[j] = (value - table.scaler.offset[j]!) / table.scaler.scale[j]!;
  });
  return { name: path.basename(file), x };
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
  if (ext === '.csv') return [readCsvQuery(query, await dataset())];
  throw new UsageError(`--query must be an example number (e.g. 3 or 3,14), a .png image or a .csv file, got '${query}'`);
}
