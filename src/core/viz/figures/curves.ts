/** Training curves from a run's metrics.jsonl: every loss term per epoch, train solid and test dashed. */
import { UsageError } from '../../errors.js';
import { lineSpec, sideBySide, type LineSeries, type PlotSpec } from '../plots/index.js';
import type { Figure } from './latent.js';

/** One row of metrics.jsonl: `epoch`, `train_<term>`, `test_<term>`, timings, ... */
export type MetricsRow = Record<string, number>;

const SPLITS = ['train', 'test'] as const;

/** The loss terms that have a `train_` or `test_` column, `loss` first, then in column order. */
export function lossTerms(metrics: readonly MetricsRow[]): string[] {
  const terms = new Set<string>();
  for (const row of metrics) {
    for (const key of Object.keys(row)) {
      const match = /^(?:train|test)_(.+)$/.exec(key);
      if (match) terms.add(match[1]);
    }
  }
  return [...terms].sort((a, b) => Number(b === 'loss') - Number(a === 'loss'));
}

/** The series of one term: train and test values at the epochs where they are finite numbers (rows have `epoch`). */
function termSeries(metrics: readonly MetricsRow[], term: string): LineSeries[] {
  return SPLITS.flatMap((split) => {
    const rows = metrics.filter((r) => Number.isFinite(r[`${split}_${term}`]));
    if (rows.length === 0) return [];
    return [{ name: split, x: rows.map((r) => r.epoch), y: rows.map((r) => r[`${split}_${term}`]), dashed: split === 'test' }];
  });
}

/** Epoch ticks at whole numbers only. */
function wholeEpochs(spec: PlotSpec): PlotSpec {
  const x = spec.encoding?.x;
  return x ? { ...spec, encoding: { ...spec.encoding, x: { ...x, axis: { tickMinStep: 1, format: 'd' } } } } : spec;
}

export interface CurvesOptions {
  /** Size of each term's plot area; default 260 × 200. */
  panelWidth?: number;
  panelHeight?: number;
  /** Title above the panels; default none (each panel is titled by its term). */
  title?: string;
}

/**
 * One panel per loss term (terms differ in scale, so each has its own y
 * axis), each with the train curve solid and the test curve dashed, in the
 * same two colours throughout. Throws a UsageError when there are no metrics.
 */
export async function curvesPlot(metrics: readonly MetricsRow[], options: CurvesOptions = {}): Promise<Figure> {
  const rows = metrics.map((r, i) => ({ ...r, epoch: Number.isFinite(r.epoch) ? r.epoch : i + 1 }));
  const terms = lossTerms(rows).filter((t) => termSeries(rows, t).length > 0);
  if (terms.length === 0) throw new UsageError('no training metrics to plot (metrics.jsonl is missing or has no train_/test_ columns)');
  const panels = terms.map((term) =>
    wholeEpochs(lineSpec({ title: term, series: termSeries(rows, term), xLabel: 'epoch', yLabel: term, width: options.panelWidth ?? 260, height: options.panelHeight ?? 200 })),
  );
  const { svg } = await sideBySide(panels, { title: options.title });
  return { svg, title: options.title ?? `Training curves: ${terms.join(', ')}` };
}
