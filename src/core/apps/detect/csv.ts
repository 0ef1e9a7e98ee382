/**
 * Scoring CSV rows of any number: rows are read, scored and handed to `write`
 * a batch at a time (readCsvBatches), so memory holds one batch plus, when
 * the true anomalies are known, one score and one 0/1 per row for the AUCs.
 * A bad row found late stops the whole file, so a caller must not commit
 * what `write` received until this resolves (Node writes a temporary file;
 * the service streams and ends the response with an error).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TableSchema } from '../../data/csv/schema.js';
import { readCsvBatches, type CsvBatch, type TextSource } from '../../data/csv/stream.js';
import { FieldError, UsageError } from '../../errors.js';
import type { Autoencoder } from '../../models/types.js';
import type { DetectorFile } from './detector.js';
import { createScorer } from './scores.js';
import { summarizeDetection, type DetectionSummary } from './summary.js';

/** Which rows are truly anomalous: a 0/1 column, or labels of the run's label column. */
export type CsvTruth = { column: string } | { labels: number[] };

/** The schema to read the file with: a 0/1 truth column is read in place of the run's label column. */
function readingSchema(schema: TableSchema, truth: CsvTruth | undefined): TableSchema {
  if (!truth || !('column' in truth)) return schema;
  if (schema.columns.includes(truth.column)) throw new FieldError('anomalyLabel', `${truth.column} is a feature column of the run; it cannot also mark anomalies`);
  const { labelValues: _runLabels, ...rest } = schema;
  return { ...rest, labelColumn: truth.column };
}

/** 0/1 truth of each row of a batch. */
function batchTruth(batch: CsvBatch, truth: CsvTruth, n: number): Uint8Array {
  const what = 'column' in truth ? `column '${truth.column}'` : 'a label column';
  if (!batch.labels) throw new FieldError('anomalyLabel', `needs ${what}, but the file has none`);
  if ('column' in truth) {
    return Uint8Array.from({ length: n }, (_, i) => {
      const v = batch.labels![i];
      if (v !== 0 && v !== 1) throw new UsageError(`column '${truth.column}' must hold 0 or 1, found ${v} on line ${batch.lines[i]}`);
      return v;
    });
  }
  const wanted = new Set(truth.labels);
  return Uint8Array.from({ length: n }, (_, i) => (wanted.has(batch.labels![i]) ? 1 : 0));
}

/** Grows by doubling: the per-row scores and truth kept for the AUCs. */
class Growable<T extends Float64Array | Uint8Array> {
  length = 0;
  constructor(private data: T) {}
  push(values: ArrayLike<number>): void {
    while (this.length + values.length > this.data.length) {
      const bigger = new (this.data.constructor as new (n: number) => T)(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

export interface CsvScoreOptions {
  /** Score only the first `limit` rows. */
  limit?: number;
  truth?: CsvTruth;
  batchRows?: number;
  /** Receives the output CSV (id = the row's line in the input, score, is_anomaly), header first. */
  write(text: string): void | Promise<void>;
}

/** Score every row of CSV text with a detector, handing the output CSV to `write` as it goes. */
export async function scoreCsvRows(model: Autoencoder, source: TextSource, schema: TableSchema, detector: DetectorFile, options: CsvScoreOptions): Promise<DetectionSummary> {
  const scorer = createScorer(model, detector.score);
  const kept = options.truth ? { scores: new Growable(new Float64Array(1024)), truth: new Growable(new Uint8Array(1024)) } : undefined;
  const limit = options.limit ?? Infinity;
  let rows = 0;
  let flagged = 0;
  await options.write('id,score,is_anomaly\n');
  for await (const batch of readCsvBatches(source, readingSchema(schema, options.truth), options.batchRows ?? 2048)) {
    const n = Math.min(batch.n, limit - rows);
    const d = schema.columns.length;
    const x = tf.tensor2d(batch.x.subarray(0, n * d), [n, d]);
    const labels = batch.labels && !options.truth ? tf.tensor1d(batch.labels.subarray(0, n), 'int32') : undefined;
    let scores: Float64Array;
    try {
      scores = scorer({ x, labels });
    } finally {
      x.dispose();
      labels?.dispose();
    }
    let text = '';
    for (let i = 0; i < n; i++) {
      const flag = scores[i]! > detector.threshold ? 1 : 0;
      flagged += flag;
      text += `${batch.lines[i]},${scores[i]},${flag}\n`;
    }
    await options.write(text);
    if (kept) {
      kept.scores.push(scores);
      kept.truth.push(batchTruth(batch, options.truth!, n));
    }
    rows += n;
    if (rows >= limit) break;
  }
  if (rows === 0) throw new UsageError(`${source.name} has no data rows`);
  return summarizeDetection(kept ? kept.scores.view() : rows, flagged, detector.threshold, kept?.truth.view());
}
