/**
 * Scoring a CSV file of any size into an output file: the core's streaming
 * scorer writes a temporary file, moved into place at the end, so a bad row
 * found late (which stops the whole file) never leaves a partial result.
 */
import { scoreCsvRows, type CsvTruth } from '../../core/apps/detect/csv.js';
import type { DetectorFile } from '../../core/apps/detect/detector.js';
import type { DetectionSummary } from '../../core/apps/detect/summary.js';
import type { TableSchema } from '../../core/data/csv/schema.js';
import type { Autoencoder } from '../../core/models/types.js';
import { atomicWriter } from '../files/atomic.js';
import { fileTextSource } from '../files/text.js';

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
  const out = atomicWriter(options.out);
  try {
    const summary = await scoreCsvRows(model, source, schema, detector, { ...options, write: (text) => out.write(text) });
    out.commit();
    return summary;
  } catch (err) {
    out.abort();
    throw err;
  }
}

export type { CsvTruth };
