/**
 * Which columns of a CSV file are features and which is the label, for
 * training (from --label-column / --ignore-columns) and for applying a run
 * (from the schema saved in its config.json), and how one record becomes a
 * row of raw numbers.
 */
import { FieldError, UsageError } from '../../errors.js';
import type { Scaler } from '../types.js';
import { parseCell, type CsvRecord } from './parse.js';

/** Everything needed to read new rows the way a run's training rows were read. */
export interface TableSchema {
  /** Feature column names, in order. */
  columns: string[];
  /** Column the labels came from, if any. */
  labelColumn?: string;
  /** Columns dropped at training time (--ignore-columns). */
  ignoreColumns: string[];
  scaler: Scaler;
  /** The label text of class 0, 1, ... when the labels were not integers. */
  labelValues?: string[];
}

/** Where each feature and the label sit in a file's records. */
export interface HeaderLayout {
  columns: string[];
  featureIndex: number[];
  /** -1 when the file has no label column. */
  labelIndex: number;
  labelColumn?: string;
  /** Fields every record must have. */
  width: number;
}

function checkHeader(header: string[], file: string): void {
  const seen = new Set<string>();
  for (const name of header) {
    if (name === '') throw new UsageError(`${file}: the header (line 1) has an empty column name`);
    if (seen.has(name)) throw new UsageError(`${file}: the header (line 1) names column '${name}' twice`);
    seen.add(name);
  }
}

/** Training: every column but the label and the ignored ones is a feature. */
export function layoutForTraining(header: string[], file: string, options: { labelColumn?: string; ignoreColumns?: string[] }): HeaderLayout {
  checkHeader(header, file);
  const ignore = options.ignoreColumns ?? [];
  for (const name of [...ignore, ...(options.labelColumn === undefined ? [] : [options.labelColumn])]) {
    if (!header.includes(name)) throw new UsageError(`${file} has no column '${name}'; its columns: ${header.join(', ')}`);
  }
  const featureIndex = header.map((_, i) => i).filter((i) => header[i] !== options.labelColumn && !ignore.includes(header[i]!));
  if (featureIndex.length === 0) throw new FieldError('ignoreColumns', `leaves no feature columns of ${file} besides the label`);
  const labelIndex = options.labelColumn === undefined ? -1 : header.indexOf(options.labelColumn);
  return { columns: featureIndex.map((i) => header[i]!), featureIndex, labelIndex, labelColumn: options.labelColumn, width: header.length };
}

/**
 * Applying a run: the file must have every feature column the run was
 * trained on (extra columns are skipped); the label column is optional.
 */
export function layoutForSchema(header: string[], file: string, schema: Pick<TableSchema, 'columns' | 'labelColumn'>): HeaderLayout {
  checkHeader(header, file);
  const absent = schema.columns.filter((c) => !header.includes(c));
  if (absent.length > 0) {
    throw new UsageError(`${file} lacks column${absent.length > 1 ? 's' : ''} ${absent.map((c) => `'${c}'`).join(', ')} that the run was trained on (expected ${schema.columns.join(', ')})`);
  }
  const labelIndex = schema.labelColumn === undefined ? -1 : header.indexOf(schema.labelColumn);
  return {
    columns: schema.columns,
    featureIndex: schema.columns.map((c) => header.indexOf(c)),
    labelIndex,
    labelColumn: labelIndex >= 0 ? schema.labelColumn : undefined,
    width: header.length,
  };
}

/** The header record's names (a UTF-8 byte-order mark is dropped). */
export function headerNames(record: CsvRecord | undefined, file: string): string[] {
  if (!record) throw new UsageError(`${file} is empty; a CSV file needs a header line naming its columns`);
  if (record.error) throw new UsageError(`${file}: line 1 (the header): ${record.error}`);
  return record.fields.map((f, i) => (i === 0 ? f.replace(/^\uFEFF/, '') : f).trim());
}

/**
 * Raw feature values of one record into `out` at `offset` (NaN = missing).
 * Returns why the record is bad, or undefined.
 */
export function readFeatures(record: CsvRecord, layout: HeaderLayout, out: Float64Array, offset: number): string | undefined {
  if (record.error) return record.error;
  if (record.fields.length !== layout.width) return `${record.fields.length} field${record.fields.length === 1 ? '' : 's'}, expected ${layout.width}`;
  for (let j = 0; j < layout.featureIndex.length; j++) {
    const cell = record.fields[layout.featureIndex[j]!]!;
    const v = parseCell(cell);
    if (v === undefined) return `column '${layout.columns[j]}' is '${cell.length > 20 ? `${cell.slice(0, 20)}…` : cell}', not a number`;
    out[offset + j] = v;
  }
  return undefined;
}

/** A non-negative integer label cell as its class, else undefined. */
export function integerLabel(cell: string): number | undefined {
  const s = cell.trim();
  return /^\+?\d+$/.test(s) && Number(s) <= 1e6 ? Number(s) : undefined;
}

/** Collects bad rows and refuses the file naming the first few. */
export class BadRows {
  private readonly listed: string[] = [];
  count = 0;

  constructor(
    private readonly file: string,
    private readonly maxListed = 8,
  ) {}

  add(line: number, why: string): void {
    this.count++;
    if (this.listed.length < this.maxListed) this.listed.push(`line ${line}: ${why}`);
  }

  throwIfAny(): void {
    if (this.count === 0) return;
    const more = this.count > this.listed.length ? `; and ${this.count - this.listed.length} more` : '';
    const hint = this.listed.some((l) => l.includes('not a number')) ? ' (ignore text columns with ignore-columns)' : '';
    throw new UsageError(`${this.file}: ${this.count} bad row${this.count === 1 ? '' : 's'}: ${this.listed.join('; ')}${more}${hint}`);
  }
}

/**
 * The schema a run was trained with (config.json `data.table`).
 * @throws UsageError when the run was not trained on a CSV file
 */
export function tableSchemaOf(config: { data: { dataset: string; table?: TableSchema } }): TableSchema {
  const table = config.data.table;
  if (!table) throw new UsageError(`this run was trained on ${config.data.dataset}, not a CSV table; it has no column schema`);
  return table;
}
