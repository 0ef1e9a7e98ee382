/**
 * The one data selection. Every job names its data with the same fields
 * (dataset, split, classes, limit, table options); these functions turn them
 * into datasets: both splits for training a run, or the data a trained run
 * is applied to, checked against what the run expects.
 *
 * The order is always: load the split, keep `classes`, then cut to `limit`.
 */
import { FieldError } from '../errors.js';
import type { RunConfig } from '../run/config.js';
import type { ScaleKind } from './csv/scaler.js';
import { CSV_PREFIX } from './csv/table.js';
import { imageOptionsOf, isImageFileDataset, labelByAttribute, refuseImageFields, type ImageReadOptions } from './image-options.js';
import type { TableSchema } from './csv/schema.js';
import { loadDataset, loadSplits, takeFirst, type LoadOptions, type Splits } from './load.js';
import { selectClasses } from './select.js';
import type { Dataset, Split } from './types.js';

/** The data fields of a request (see core/requests/data.ts). */
export interface DataSpec extends ImageReadOptions {
  dataset?: string;
  dataDir?: string;
  split?: Split;
  limit?: number;
  classes?: number[];
  labelColumn?: string;
  ignoreColumns?: string[];
  /** Training only: how a table's columns are scaled. */
  scale?: ScaleKind;
}

/** What the loaders need besides the spec (quiet downloads, a seed for generated data). */
export type LoadContext = Pick<LoadOptions, 'quiet' | 'seed' | 'cacheDir' | 'fetch' | 'env'>;

const isTable = (ds: Dataset) => ds.table !== undefined;

/** `classes` then `limit` on an image dataset (tables apply both while reading). */
function select(ds: Dataset, classes: number[] | undefined, limit: number | undefined): Dataset {
  if (isTable(ds) || classes === undefined) return ds;
  const kept = selectClasses(ds, classes);
  return limit !== undefined && kept.n > limit ? takeFirst(kept, limit) : kept;
}

/** Labels from an attribute when `--label-attribute` names one. */
function labelled(ds: Dataset, attribute: string | undefined): Dataset {
  return attribute === undefined ? ds : labelByAttribute(ds, attribute);
}

function refuseTableFields(spec: DataSpec, dataset: string): void {
  const field = spec.labelColumn !== undefined ? 'labelColumn' : spec.ignoreColumns !== undefined ? 'ignoreColumns' : undefined;
  if (field) throw new FieldError(field, `applies to csv:<file> tables, not ${dataset}`);
}

/**
 * Train and test splits for a new run: `classes` keeps those labels in
 * both, `limit` cuts the training split. A table is split by row (every
 * 10th row is test), scaled by a scaler fitted on its training rows, and
 * comes with the schema the run saves (or, resuming, is read with the
 * schema it saved: `savedTable`).
 */
export async function trainingSplits(spec: DataSpec & { dataset: string }, context: LoadContext = {}, savedTable?: TableSchema): Promise<Splits> {
  const { dataset, classes, limit } = spec;
  const csv = { labelColumn: spec.labelColumn, ignoreColumns: spec.ignoreColumns, scale: spec.scale, classes, schema: savedTable };
  refuseImageFields(spec, dataset);
  const loaded = await loadSplits(dataset, { ...context, dataDir: spec.dataDir, limit: classes ? undefined : limit, csv, images: imageOptionsOf(spec) });
  const splits = { ...loaded, trainSet: labelled(loaded.trainSet, spec.labelAttribute), testSet: labelled(loaded.testSet, spec.labelAttribute) };
  if (!isTable(splits.trainSet)) refuseTableFields(spec, dataset);
  if (isTable(splits.trainSet)) {
    return limit === undefined || splits.trainSet.n <= limit ? splits : { ...splits, trainSet: takeFirst(splits.trainSet, limit) };
  }
  return { trainSet: select(splits.trainSet, classes, limit), testSet: select(splits.testSet, classes, undefined) };
}

/** The table schema to read `dataset` with for a run: the run's own, maybe with another label column. */
function readingSchema(config: RunConfig, spec: DataSpec): TableSchema | undefined {
  const schema = config.data.table;
  if (!schema) return undefined;
  if (spec.ignoreColumns?.some((c) => schema.columns.includes(c))) throw new FieldError('ignoreColumns', 'cannot drop a feature column the run was trained on');
  const labelColumn = spec.labelColumn;
  if (labelColumn === undefined || labelColumn === schema.labelColumn) return schema;
  if (schema.columns.includes(labelColumn)) throw new FieldError('labelColumn', `${labelColumn} is a feature column of the run`);
  // Another column's labels are read as integer classes.
  const { labelValues: _runLabels, ...rest } = schema;
  return { ...rest, labelColumn };
}

/**
 * How to read image files for a run: the model's own size and channels, and
 * (for the run's own dataset) the attributes, label and bad-file choice it
 * was trained with, unless the request says otherwise.
 */
function readingImages(config: RunConfig, spec: DataSpec, dataset: string): ImageReadOptions | undefined {
  refuseImageFields(spec, dataset);
  if (!isImageFileDataset(dataset)) return undefined;
  const [size, , channels] = config.model.inputShape;
  const saved = dataset === config.data.dataset ? (config.data.images ?? {}) : {};
  return { ...saved, imageSize: size, channels, ...imageOptionsOf(spec) };
}

/**
 * The data a trained run is applied to: `spec.dataset` (default the run's
 * own), one split (a table: every row, read with the run's columns and
 * scaler), `classes` then `limit`, checked against the model's input.
 */
export async function dataForRun(config: RunConfig, spec: DataSpec, context: LoadContext = {}): Promise<Dataset> {
  const dataset = spec.dataset ?? config.data.dataset;
  const schema = readingSchema(config, spec);
  const { classes, limit } = spec;
  const table = schema !== undefined && dataset.startsWith(CSV_PREFIX);
  if (!schema && dataset.startsWith(CSV_PREFIX)) throw new FieldError('dataset', `${dataset} is a table, but this run was trained on ${config.data.dataset}, not a CSV table`);
  if (!table) refuseTableFields(spec, dataset);
  const images = readingImages(config, spec, dataset);
  const loaded = await loadDataset(dataset, {
    ...context,
    split: spec.split ?? 'test',
    dataDir: spec.dataDir,
    limit: classes && !table ? undefined : limit,
    csv: schema ? { schema, classes, numClasses: config.data.numClasses } : undefined,
    images,
  });
  const ds = labelled(loaded, images?.labelAttribute);
  const want = config.model.inputShape;
  if (ds.shape.join('×') !== want.join('×')) {
    const what = isTable(ds) ? `rows of ${ds.shape[1]} columns` : `${ds.shape.join('×')} images`;
    throw new FieldError('dataset', `${dataset} has ${what} but the model expects ${isTable(ds) ? `${want[1]} columns` : want.join('×')}`);
  }
  return select(ds, classes, limit);
}

/**
 * The spec of the examples a run was trained on (its dataset, the train
 * split, its classes and limit), for jobs that need the training
 * distribution: imputation's starting means, a detector's calibration.
 */
export function runTrainingSpec(config: RunConfig, spec: Pick<DataSpec, 'dataDir'> = {}): DataSpec {
  return { ...config.data.images, dataset: config.data.dataset, dataDir: spec.dataDir, split: 'train', classes: config.data.classes, limit: config.data.limit ?? undefined };
}
