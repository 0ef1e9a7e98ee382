/**
 * Per-image attribute tables (`--attributes FILE`, CelebA's
 * list_attr_celeba.txt): one row per image, keyed by its file name, with
 * numeric columns. Joined to a dataset's images they become its factors,
 * which `edit --attribute`, `plot latent --color-by` and `--label-attribute`
 * read.
 *
 * The table is CSV when its header line has a comma, else split on
 * whitespace. A first line holding a single integer (CelebA's row count) is
 * skipped. The header may name the key column or not (CelebA's does not).
 * Columns whose values are all -1 or 1 (CelebA's convention) become 0/1;
 * columns with text are dropped; empty cells and NaN are missing.
 */
import { FieldError } from '../errors.js';
import { parseCell, parseCsvText } from './csv/parse.js';

export interface AttributeTable {
  names: string[];
  /** Row of each key (a relative path or a base name). */
  rows: Map<string, Float64Array>;
}

interface RawRow {
  fields: string[];
  line: number;
}

function rawRows(text: string): RawRow[] {
  const lines = text.split(/\r?\n/);
  const firstLine = lines.findIndex((l) => l.trim() !== '');
  if (firstLine < 0) return [];
  if (lines[firstLine]!.includes(',')) return parseCsvText(text).map((r) => ({ fields: r.fields.map((f) => f.trim()), line: r.line }));
  return lines.flatMap((l, i) => (l.trim() === '' ? [] : [{ fields: l.trim().split(/\s+/), line: i + 1 }]));
}

/** -1/1 columns as 0/1; anything else as it is. */
function normalizeSigns(values: Float64Array[], j: number): void {
  const present = values.map((v) => v[j]!).filter((v) => !Number.isNaN(v));
  if (present.length === 0 || !present.every((v) => v === -1 || v === 1) || !present.includes(-1)) return;
  for (const v of values) if (!Number.isNaN(v[j]!)) v[j] = v[j] === 1 ? 1 : 0;
}

/**
 * Parse an attribute table. `file` names it in messages.
 *
 * @throws FieldError (`attributes`) for a table without rows, a row with the
 *   wrong number of fields, or a key given twice
 */
export function parseAttributeTable(text: string, file: string): AttributeTable {
  let rows = rawRows(text);
  if (rows.length > 0 && rows[0]!.fields.length === 1 && /^\d+$/.test(rows[0]!.fields[0]!)) rows = rows.slice(1);
  if (rows.length < 2) throw new FieldError('attributes', `${file} needs a header line and at least one row`);
  const [header, ...body] = rows as [RawRow, ...RawRow[]];
  const width = body[0]!.fields.length;
  // The header names every column, or every column but the key.
  const names = header.fields.length === width ? header.fields.slice(1) : header.fields;
  if (names.length !== width - 1) throw new FieldError('attributes', `${file}: the header has ${header.fields.length} names but line ${body[0]!.line} has ${width} fields`);
  const keys: string[] = [];
  const cells: (number | undefined)[][] = [];
  for (const row of body) {
    if (row.fields.length !== width) throw new FieldError('attributes', `${file}: line ${row.line} has ${row.fields.length} fields, expected ${width}`);
    keys.push(row.fields[0]!);
    cells.push(row.fields.slice(1).map(parseCell));
  }
  const numeric = names.map((_, j) => cells.every((r) => r[j] !== undefined));
  const kept = names.flatMap((n, j) => (numeric[j] ? [j] : []));
  const values = cells.map((r) => Float64Array.from(kept, (j) => r[j]!));
  kept.forEach((_, k) => normalizeSigns(values, k));
  const table = new Map<string, Float64Array>();
  keys.forEach((key, i) => {
    const k = key.replace(/\\/g, '/').replace(/^\.\//, '');
    if (table.has(k)) throw new FieldError('attributes', `${file}: '${key}' has two rows (line ${body[i]!.line})`);
    table.set(k, values[i]!);
  });
  return { names: kept.map((j) => names[j]!), rows: table };
}

const baseName = (rel: string) => rel.slice(rel.lastIndexOf('/') + 1);

/**
 * The table's rows for images at these relative paths ('/'-separated), as
 * factor values ([n, names.length] row-major). A row is found by the
 * relative path, else by the base name.
 *
 * @throws FieldError (`attributes`) naming the first image without a row, or
 *   a base name shared by several images when the table is keyed by base names
 */
export function joinAttributes(table: AttributeTable, files: readonly string[], file: string): { names: string[]; values: Float32Array } {
  const k = table.names.length;
  const values = new Float32Array(files.length * k);
  const byBase = new Map<string, string>();
  files.forEach((rel, i) => {
    let row = table.rows.get(rel);
    if (!row) {
      const base = baseName(rel);
      const other = byBase.get(base);
      if (other !== undefined && other !== rel) throw new FieldError('attributes', `${file} is keyed by file name, but ${other} and ${rel} share the name ${base}; key it by relative path`);
      byBase.set(base, rel);
      row = table.rows.get(base);
    }
    if (!row) throw new FieldError('attributes', `${file} has no row for the image ${rel}`);
    values.set(row, i * k);
  });
  return { names: table.names, values };
}
