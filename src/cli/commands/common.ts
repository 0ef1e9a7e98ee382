/** Steps several commands share: open a run, load the data it is used on, write outputs. */
import * as path from 'node:path';
import { initBackend, type BackendChoice } from '../../node/backend/index.js';
import { tableSchemaOf, type TableSchema } from '../../core/data/csv/schema.js';
import { CSV_PREFIX, loadCsvWithSchema } from '../../core/data/csv/table.js';
import { loadDataset, takeFirst } from '../../core/data/load.js';
import { selectClasses } from '../../core/data/select.js';
import type { Dataset, Split } from '../../core/data/types.js';
import { UsageError } from '../../core/errors.js';
import type { Autoencoder } from '../../core/models/types.js';
import { loadRun, type RunConfig } from '../../node/run/run-folder.js';
import type { OptionValues } from '../options.js';
import { requireOption } from '../parse.js';
import { classesFrom, columnList } from './training-flags.js';

export async function openRun(values: OptionValues, command: string): Promise<{ dir: string; config: RunConfig; model: Autoencoder }> {
  const dir = requireOption<string>(values, 'run', command);
  await initBackend((values.backend as BackendChoice | undefined) ?? 'auto');
  const { config, model } = await loadRun(dir);
  return { dir, config, model };
}

/**
 * The dataset named by --dataset (default: the run's own), checked against
 * the model's input, with --classes applied. A `csv:` file is every row of
 * the file, read with the run's columns and scaler (--split does not apply).
 */
export async function loadDataFor(config: RunConfig, values: OptionValues, options: { split?: Split; limit?: number } = {}): Promise<Dataset> {
  const name = (values.dataset as string | undefined) ?? config.data.dataset;
  const limit = options.limit ?? (values.limit as number | undefined);
  const classes = classesFrom(values);
  if (name.startsWith(CSV_PREFIX)) return loadCsvDataFor(name, config, values, { limit, classes });
  if (values['label-column'] !== undefined || values['ignore-columns'] !== undefined) {
    throw new UsageError(`--label-column and --ignore-columns apply to csv:<file> datasets, not ${name}`);
  }
  const split = options.split ?? ((values.split as Split | undefined) ?? 'test');
  let ds = await loadDataset(name, { split, dataDir: values['data-dir'] as string | undefined, limit: classes ? undefined : limit, quiet: values.quiet === true });
  const want = config.model.inputShape.join('×');
  if (ds.shape.join('×') !== want) throw new UsageError(`dataset ${name} has ${ds.shape.join('×')} images but the model expects ${want}`);
  if (classes) {
    ds = selectClasses(ds, classes);
    if (limit !== undefined && ds.n > limit) ds = takeFirst(ds, limit);
  }
  return ds;
}

/** The run's table schema, with --label-column choosing another label column if given. */
function schemaFor(config: RunConfig, values: OptionValues): TableSchema {
  const schema = tableSchemaOf(config);
  const labelColumn = values['label-column'] as string | undefined;
  if (labelColumn === undefined || labelColumn === schema.labelColumn) return schema;
  if (schema.columns.includes(labelColumn)) throw new UsageError(`--label-column ${labelColumn} is a feature column of the run`);
  // Another column's labels are read as integer classes.
  const { labelValues: _runLabels, ...rest } = schema;
  return { ...rest, labelColumn };
}

async function loadCsvDataFor(name: string, config: RunConfig, values: OptionValues, options: { limit?: number; classes?: number[] }): Promise<Dataset> {
  if (values['ignore-columns'] !== undefined && columnList(values['ignore-columns'])!.some((c) => tableSchemaOf(config).columns.includes(c))) {
    throw new UsageError('--ignore-columns cannot drop a feature column the run was trained on');
  }
  return loadCsvWithSchema(name, schemaFor(config, values), { ...options, numClasses: config.data.numClasses });
}

/** The --out path, required, with one of the allowed extensions. */
export function outputPath(values: OptionValues, command: string, extensions: readonly string[]): string {
  const out = requireOption<string>(values, 'out', command);
  const ext = path.extname(out).toLowerCase();
  if (!extensions.includes(ext)) throw new UsageError(`--out must end in ${extensions.join(' or ')}, got '${out}'`);
  return out;
}
