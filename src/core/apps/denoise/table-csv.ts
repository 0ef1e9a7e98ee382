/** Table rows the model produced, written back as CSV in the file's own units. */
import { csvField as field } from '../../data/csv/field.js';
import { inverseScaler } from '../../data/csv/scaler.js';
import type { Dataset } from '../../data/types.js';


/**
 * CSV text of `scaled` ([n, d] rows in the model's scaled units) for the rows
 * of table dataset `ds`: a `line` column (the row's line in the input file),
 * the label column when the file had one, then the feature columns unscaled.
 * Values keep 7 significant digits, the precision of the float32 model.
 */
export function tableRowsCsv(ds: Dataset, scaled: Float32Array): string {
  const table = ds.table;
  if (!table) throw new Error('tableRowsCsv: the dataset is not a table');
  const d = table.columns.length;
  const raw = inverseScaler(table.scaler, scaled.subarray(0, ds.n * d));
  const header = ['line', ...(table.labelColumn ? [table.labelColumn] : []), ...table.columns].map(field).join(',');
  const rows = [header];
  for (let i = 0; i < ds.n; i++) {
    const label = table.labelColumn ? [field(ds.classNames?.[ds.labels[i]] ?? String(ds.labels[i]))] : [];
    const values = Array.from(raw.subarray(i * d, (i + 1) * d), (v) => String(Number(v.toPrecision(7))));
    rows.push([String(table.lines?.[i] ?? i + 2), ...label, ...values].join(','));
  }
  return `${rows.join('\n')}\n`;
}
