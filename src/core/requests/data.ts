/**
 * Which data a job uses: a dataset by name, one split, some classes, the
 * first N examples, and how to read a table. Every job that reads data takes
 * these fields; `resolveData` (core/data/spec.ts) turns them into a Dataset.
 */
import { z } from 'zod';
import { count, described, split } from './fields.js';

export const SCALE_KINDS = ['standard', 'minmax'] as const;

export const dataFields = {
  dataset: described(z.string().min(1), { arg: 'NAME', description: 'mnist, fashion-mnist, sprites (built in), idx:<folder>, or csv:<file> (a table with a header row)', defaultText: "the run's own" }),
  dataDir: described(z.string().min(1), { arg: 'DIR', description: 'folder holding the dataset files (else $LATENTKIT_DATA_DIR, the cache, a download)' }),
  split: split.default('test'),
  limit: count({ description: 'use only the first N examples' }),
  classes: described(z.array(z.int().min(0)).min(1), { arg: 'LIST', description: 'keep only examples whose label is in LIST (e.g. 3 or 1,7)' }),
  labelColumn: described(z.string().min(1), { arg: 'NAME', description: 'csv: the column holding the label (integer classes); not a feature' }),
  ignoreColumns: described(z.array(z.string().min(1)).min(1), { arg: 'LIST', description: 'csv: columns to drop, comma separated' }),
};

/** The data fields as one optional-everything object (what resolveData takes). */
export const dataSpec = z.object({
  dataset: dataFields.dataset.optional(),
  dataDir: dataFields.dataDir.optional(),
  split: dataFields.split,
  limit: dataFields.limit.optional(),
  classes: dataFields.classes.optional(),
  labelColumn: dataFields.labelColumn.optional(),
  ignoreColumns: dataFields.ignoreColumns.optional(),
});
export type DataSpec = z.input<typeof dataSpec>;

/** Fields of a job that applies a trained run to data (all optional but `split`, which defaults to test). */
export const applyDataFields = dataSpec.shape;

/** Training reads both splits and may scale a table. */
export const trainingDataFields = {
  dataset: dataFields.dataset.default('sprites'),
  dataDir: dataFields.dataDir.optional(),
  limit: dataFields.limit.optional(),
  classes: dataFields.classes.optional(),
  labelColumn: dataFields.labelColumn.optional(),
  ignoreColumns: dataFields.ignoreColumns.optional(),
  scale: described(z.enum(SCALE_KINDS).default('standard'), { arg: 'KIND', description: 'csv: per-column scaling fitted on the training data and saved in the run' }),
};
