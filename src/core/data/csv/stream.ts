/**
 * Reading CSV text as a stream: records one chunk at a time, and batches
 * of scaled rows for a run's schema. Memory is bounded by the batch size,
 * not the file, so a file of millions of rows can be scored.
 */
import { UsageError } from '../../errors.js';
import { CsvTokenizer, type CsvRecord } from './parse.js';
import { applyScaler } from './scaler.js';
import { BadRows, headerNames, integerLabel, layoutForSchema, readFeatures, type HeaderLayout, type TableSchema } from './schema.js';

/**
 * Text read in chunks: a file on disk (Node), a File the user dropped into
 * the page, a request body, a string. `name` names it in messages.
 */
export interface TextSource {
  readonly name: string;
  chunks(): AsyncIterable<string>;
}

/** A string as a text source. */
export function textSource(name: string, text: string): TextSource {
  return {
    name,
    async *chunks() {
      for (let i = 0; i < text.length; i += 1 << 16) yield text.slice(i, i + (1 << 16));
    },
  };
}

/** Every record of the text, the header first, tokenized chunk by chunk. */
export async function* csvRecords(source: TextSource): AsyncGenerator<CsvRecord> {
  const pending: CsvRecord[] = [];
  const tokenizer = new CsvTokenizer((r) => pending.push(r));
  for await (const chunk of source.chunks()) {
    tokenizer.push(chunk);
    yield* pending;
    pending.length = 0;
  }
  tokenizer.end();
  yield* pending;
}

/** One batch of rows of a CSV file, scaled with a run's scaler. */
export interface CsvBatch {
  /** Rows in the batch. */
  n: number;
  /** [n, d] scaled features; missing entries hold the scaled training mean. */
  x: Float32Array;
  /** [n, d]: 1 where the file had no value. */
  missing: Uint8Array;
  /** Class of each row, or null when the file has no label column. */
  labels: Int32Array | null;
  /** 1-based file line of the first row. */
  firstLine: number;
  /** 1-based file line of each row. */
  lines: Int32Array;
}

/** Maps label cells to classes; label text unknown to the schema gets the next free class. */
function labelMapper(schema: TableSchema): (cell: string) => number | string {
  if (!schema.labelValues) {
    return (cell) => integerLabel(cell) ?? `label column '${schema.labelColumn}' is '${cell}', not a non-negative integer class`;
  }
  const index = new Map(schema.labelValues.map((v, i) => [v, i]));
  return (cell) => {
    const key = cell.trim();
    if (key === '') return `label column '${schema.labelColumn}' is empty`;
    if (!index.has(key)) index.set(key, index.size);
    return index.get(key)!;
  };
}

class BatchBuilder {
  readonly raw: Float64Array;
  readonly labels: Int32Array;
  readonly lines: Int32Array;
  n = 0;

  constructor(
    readonly d: number,
    readonly capacity: number,
  ) {
    this.raw = new Float64Array(d * capacity);
    this.labels = new Int32Array(capacity);
    this.lines = new Int32Array(capacity);
  }

  take(schema: TableSchema, hasLabels: boolean): CsvBatch {
    const { n, d } = this;
    const x = new Float32Array(n * d);
    const missing = new Uint8Array(n * d);
    applyScaler(schema.scaler, this.raw.subarray(0, n * d), x, missing);
    const batch = { n, x, missing, labels: hasLabels ? this.labels.slice(0, n) : null, firstLine: this.lines[0]!, lines: this.lines.slice(0, n) };
    this.n = 0;
    return batch;
  }
}

/**
 * Batches of at most `batchRows` rows of `source`, read and scaled as `schema`
 * says. The file must have every feature column of the schema (others are
 * skipped); labels come from the schema's label column when the file has it.
 *
 * Bad rows (wrong field count, text in a feature column, a bad label) stop
 * the batches: the rest of the file is scanned and one UsageError names the
 * first few bad lines, so a caller must not commit output before the end.
 */
export async function* readCsvBatches(source: TextSource, schema: TableSchema, batchRows = 4096): AsyncGenerator<CsvBatch> {
  const file = source.name;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new UsageError(`batch size must be a positive integer (got ${batchRows})`);
  const records = csvRecords(source);
  const first = await records.next();
  const layout: HeaderLayout = layoutForSchema(headerNames(first.done ? undefined : first.value, file), file, schema);
  const hasLabels = layout.labelIndex >= 0;
  const labelOf = labelMapper(schema);
  const builder = new BatchBuilder(layout.columns.length, batchRows);
  const bad = new BadRows(file);
  for await (const record of records) {
    let why = readFeatures(record, layout, builder.raw, builder.n * builder.d);
    let label = 0;
    if (why === undefined && hasLabels) {
      const mapped = labelOf(record.fields[layout.labelIndex]!);
      if (typeof mapped === 'string') why = mapped;
      else label = mapped;
    }
    if (why !== undefined) {
      bad.add(record.line, why);
      continue;
    }
    if (bad.count > 0) continue; // Only scanning for more bad lines now.
    builder.labels[builder.n] = label;
    builder.lines[builder.n] = record.line;
    if (++builder.n === batchRows) yield builder.take(schema, hasLabels);
  }
  bad.throwIfAny();
  if (builder.n > 0) yield builder.take(schema, hasLabels);
}
