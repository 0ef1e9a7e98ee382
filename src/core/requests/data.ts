/**
 * Which data a job uses: a dataset by name, one split, some classes, the
 * first N examples, and how to read a table. Every job that reads data takes
 * these fields; `resolveData` (core/data/spec.ts) turns them into a Dataset.
 */
import { z } from 'zod';
import { count, described, split } from './fields.js';

export const SCALE_KINDS = ['standard', 'minmax'] as const;

export const dataFields = {
  dataset: described(z.string().min(1), {
    arg: 'NAME',
    description: 'mnist, fashion-mnist, cifar10, sprites and shapes[:N] (generated, built in), idx:<folder>, csv:<file> (a table with a header row), images:<folder> (PNG/JPEG/WebP), celeba:<folder>, npy:<file> or npz:<file>',
    defaultText: "the run's own",
  }),
  dataDir: described(z.string().min(1), { arg: 'DIR', description: 'folder holding the dataset files (else $LATENTKIT_DATA_DIR, the cache, a download)' }),
  split: split.default('test'),
  limit: count({ description: 'use only the first N examples' }),
  classes: described(z.array(z.int().min(0)).min(1), { arg: 'LIST', description: 'keep only examples whose label is in LIST (e.g. 3 or 1,7)' }),
  labelColumn: described(z.string().min(1), { arg: 'NAME', description: 'csv: the column holding the label (integer classes); not a feature' }),
  ignoreColumns: described(z.array(z.string().min(1)).min(1), { arg: 'LIST', description: 'csv: columns to drop, comma separated' }),
  imageSize: count({ arg: 'S', description: 'images:/celeba: resize the short side to S, then crop the centre S×S', defaultText: "the images' own size when they all share one, else 64; celeba 64; a run's own when applying it" }, 1024),
  channels: described(
    z
      .int()
      .min(1)
      .max(3)
      .refine((c) => c !== 2, { message: 'must be 1 (grey) or 3 (RGB)' }),
    { arg: 'C', description: 'images:/celeba: 1 (grey) or 3 (RGB); grey images become RGB and colour becomes grey as needed', defaultText: "3 if any image is in colour, else 1; a run's own when applying it" },
  ),
  attributes: described(z.string().min(1), { arg: 'FILE', description: 'images:: a CSV or whitespace table keyed by file name (relative path or base name); its numeric columns become attributes (edit --attribute NAME, plot latent --color-by NAME, --label-attribute NAME)' }),
  labelAttribute: described(z.string().min(1), { arg: 'NAME', description: 'images:/celeba:: use this attribute as the class label (0/1 attributes give classes "not NAME" and NAME; integer columns their values)' }),
  skipBad: described(z.boolean(), { description: 'images:/celeba:: skip unreadable images (reporting how many) instead of refusing them' }),
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
  imageSize: dataFields.imageSize.optional(),
  channels: dataFields.channels.optional(),
  attributes: dataFields.attributes.optional(),
  labelAttribute: dataFields.labelAttribute.optional(),
  skipBad: dataFields.skipBad.optional(),
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
  imageSize: dataFields.imageSize.optional(),
  channels: dataFields.channels.optional(),
  attributes: dataFields.attributes.optional(),
  labelAttribute: dataFields.labelAttribute.optional(),
  skipBad: dataFields.skipBad.optional(),
  scale: described(z.enum(SCALE_KINDS).default('standard'), { arg: 'KIND', description: 'csv: per-column scaling fitted on the training data and saved in the run' }),
};
