/**
 * Scoring a CSV file of any size into an output file: the core's streaming
 * scorer writes a temporary file, renamed at the end, so a bad row found
 * late (which stops the whole file) never leaves a partial result behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scoreCsvRows, type CsvTruth } from '../../core/apps/detect/csv.js';
import type { DetectorFile } from '../../core/apps/detect/detector.js';
import type { DetectionSummary } from '../../core/apps/detect/summary.js';
import type { TableSchema } from '../../core/data/csv/schema.js';
import type { Autoencoder } from '../../core/models/types.js';
import { fileTextSource } from '../files/text.js';
import { fileError } from '../files/atomic.js';

export interface CsvDetectOptions {
  /** Output CSV: id (the row's line number in the file), score, is_anomaly. */
  out: string;
  /** Score only the first `limit` rows. */
  limit?: number;
  truth?: CsvTruth;
  batchRows?: number;
}

/** Score every row of the CSV file `file` with a detector into `options.out`. */
export async function detectCsvFile(model: Autoencoder, file: string, schema: TableSchema, detector: DetectorFile, options: CsvDetectOptions): Promise<DetectionSummary> {
  const source = fileTextSource(file);
  fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
  const tmp = `${options.out}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w');
  } catch (err) {
    throw fileError(err, options.out);
  }
  try {
    const summary = await scoreCsvRows(model, source, schema, detector, { ...options, write: (text) => void fs.writeSync(fd, text) });
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, options.out);
    return summary;
  } catch (err) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw fileError(err, options.out);
  }
}

export type { CsvTruth };
