/**
 * Scoring a CSV file of any size: rows are read, scored and written a batch at
 * a time (readCsvBatches), so memory holds one batch plus, when the true
 * anomalies are known, one score and one 0/1 per row for the AUCs. The output
 * goes to a temporary file renamed at the end, so a bad row found late (which
 * stops the whole file) never leaves a partial result behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { csvPath } from '../../core/data/csv/table.js';
import { readCsvBatches, type CsvBatch } from '../data/csv-stream.js';
import type { TableSchema } from '../../core/data/csv/schema.js';
import { UsageError } from '../../core/errors.js';
import type { Autoencoder } from '../../core/models/types.js';
import type { DetectorFile } from '../../core/apps/detect/detector.js';
import { createScorer } from '../../core/apps/detect/scores.js';
import { summarizeDetection, type DetectionSummary } from '../../core/apps/detect/summary.js';

/** Which rows are truly anomalous: a 0/1 column, or labels of the run's label column. */
export type CsvTruth = { column: string } | { labels: number[] };

export interface CsvDetectOptions {
  /** Output CSV: id (the row's line number in the file), score, is_anomaly. */
  out: string;
  /** Score only the first `limit` rows. */
  limit?: number;
  truth?: CsvTruth;
  batchRows?: number;
}

/** The schema to read the file with: a 0/1 truth column is read in place of the run's label column. */
function readingSchema(schema: TableSchema, truth: CsvTruth | undefined): TableSchema {
  if (!truth || !('column' in truth)) return schema;
  if (schema.columns.includes(truth.column)) throw new UsageError(`--anomaly-label ${truth.column} is a feature column of the run; it cannot also mark anomalies`);
  const { labelValues: _runLabels, ...rest } = schema;
  return { ...rest, labelColumn: truth.column };
}

/** 0/1 truth of each row of a batch. */
function batchTruth(batch: CsvBatch, truth: CsvTruth, n: number): Uint8Array {
  const what = 'column' in truth ? `column '${truth.column}'` : 'a label column';
  if (!batch.labels) throw new UsageError(`--anomaly-label needs ${what}, but the file has none`);
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

/** Score every row of a `csv:` dataset with a detector, writing the output CSV as it goes. */
export async function detectCsvFile(model: Autoencoder, dataset: string, schema: TableSchema, detector: DetectorFile, options: CsvDetectOptions): Promise<DetectionSummary> {
  const scorer = createScorer(model, detector.score);
  const kept = options.truth ? { scores: new Growable(new Float64Array(1024)), truth: new Growable(new Uint8Array(1024)) } : undefined;
  const limit = options.limit ?? Infinity;
  fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
  const tmp = `${options.out}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  let rows = 0;
  let flagged = 0;
  try {
    fs.writeSync(fd, 'id,score,is_anomaly\n');
    for await (const batch of readCsvBatches(csvPath(dataset), readingSchema(schema, options.truth), options.batchRows ?? 2048)) {
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
        const flag = scores[i] > detector.threshold ? 1 : 0;
        flagged += flag;
        text += `${batch.lines[i]},${scores[i]},${flag}\n`;
      }
      fs.writeSync(fd, text);
      if (kept) {
        kept.scores.push(scores);
        kept.truth.push(batchTruth(batch, options.truth!, n));
      }
      rows += n;
      if (rows >= limit) break;
    }
    if (rows === 0) throw new UsageError(`${csvPath(dataset)} has no data rows`);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, options.out);
  return summarizeDetection(kept ? kept.scores.view() : rows, flagged, detector.threshold, kept?.truth.view());
}
