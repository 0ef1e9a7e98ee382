/** What `detect score` reports: how many were flagged and, with known anomalies, how well the scores rank them. */
import { UsageError } from '../../errors.js';
import { averagePrecision, rocAuc } from '../../eval/metrics/auc.js';

export interface DetectionSummary {
  examples: number;
  flagged: number;
  threshold: number;
  /** Present when the true anomalies are known. */
  anomalies?: number;
  rocAuc?: number;
  prAuc?: number;
}

/** "0,1,2" as a set of class labels that mark true anomalies. */
export function parseAnomalyLabels(text: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--anomaly-label must be a comma list of class labels like 0,1,2, got '${text}'`);
  return [...new Set(items.map(Number))];
}

/** 1 where the example's label is one of `anomalyLabels`. */
export function anomalyTruth(labels: ArrayLike<number>, anomalyLabels: readonly number[]): Uint8Array {
  const wanted = new Set(anomalyLabels);
  return Uint8Array.from({ length: labels.length }, (_, i) => (wanted.has(labels[i]) ? 1 : 0));
}

/**
 * Counts, and ROC-AUC / PR-AUC (anomalies positive) when `truth` is given.
 * `scores` may be just the example count when there is no truth to rank against.
 */
export function summarizeDetection(scores: ArrayLike<number> | number, flagged: number, threshold: number, truth?: ArrayLike<number>): DetectionSummary {
  const summary: DetectionSummary = { examples: typeof scores === 'number' ? scores : scores.length, flagged, threshold };
  if (truth) {
    if (typeof scores === 'number') throw new Error('summarizeDetection: AUCs need the scores, not a count');
    let anomalies = 0;
    for (let i = 0; i < truth.length; i++) anomalies += truth[i];
    summary.anomalies = anomalies;
    summary.rocAuc = rocAuc(scores, truth);
    summary.prAuc = averagePrecision(scores, truth);
  }
  return summary;
}
