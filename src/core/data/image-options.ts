/**
 * How image files become a dataset (`images:<folder>`, `celeba:<folder>`):
 * the size and channels they are decoded to, an attribute table joined to
 * them, which attribute is the label, and whether unreadable files are
 * skipped. A run records these in config.json so every later command reads
 * the files the same way.
 */
import { FieldError } from '../errors.js';
import type { Dataset } from './types.js';

/** Datasets read from image files, where the image fields apply. */
export const IMAGE_FILE_PREFIXES = ['images:', 'celeba:'] as const;

export const isImageFileDataset = (name: string): boolean => IMAGE_FILE_PREFIXES.some((p) => name.startsWith(p));

export interface ImageReadOptions {
  /** Side of the square the short side is resized to (then centre-cropped). */
  imageSize?: number;
  channels?: number;
  /** A table of per-image attributes (CSV or whitespace separated). */
  attributes?: string;
  /** The attribute whose values become the class labels. */
  labelAttribute?: string;
  /** Skip unreadable images instead of refusing them. */
  skipBad?: boolean;
}

export const IMAGE_OPTION_KEYS = ['imageSize', 'channels', 'attributes', 'labelAttribute', 'skipBad'] as const satisfies readonly (keyof ImageReadOptions)[];

/** The image options given in `spec` (undefined ones left out). */
export function imageOptionsOf(spec: ImageReadOptions): ImageReadOptions {
  return Object.fromEntries(IMAGE_OPTION_KEYS.filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]])) as ImageReadOptions;
}

/** Refuse image fields for a dataset that is not read from image files. */
export function refuseImageFields(spec: ImageReadOptions, dataset: string): void {
  const field = IMAGE_OPTION_KEYS.find((k) => spec[k] !== undefined);
  if (field && !isImageFileDataset(dataset)) throw new FieldError(field, `applies to images:<folder> and celeba:<folder>, not ${dataset}`);
}

/** The values of factor `name` of `ds`, one per example; FieldError naming `field` when it has none. */
export function factorValues(ds: Dataset, name: string, field: string): Float64Array {
  const factors = ds.factors;
  const k = factors ? factors.names.indexOf(name) : -1;
  if (!factors || k < 0) {
    const known = factors ? `its attributes are ${factors.names.join(', ')}` : 'it has no attributes (give an --attributes table)';
    throw new FieldError(field, `'${name}' is not an attribute of ${ds.name}; ${known}`);
  }
  const columns = factors.names.length;
  return Float64Array.from({ length: ds.n }, (_, i) => factors.values[i * columns + k]!);
}

/**
 * Classes from the values of an attribute: 0/1 values give two classes,
 * "not NAME" and NAME; non-negative integers are the classes themselves.
 */
export function classesOfValues(values: Float64Array, name: string, field: string): { labels: Int32Array; numClasses: number; classNames?: string[] } {
  const bad = values.find((v) => !Number.isInteger(v) || v < 0);
  if (bad !== undefined) throw new FieldError(field, `'${name}' has the value ${bad}; class labels need 0/1 or non-negative integer values`);
  const labels = Int32Array.from(values);
  const max = labels.reduce((m, v) => Math.max(m, v), 0);
  if (max <= 1) return { labels, numClasses: 2, classNames: [`not ${name}`, name] };
  return { labels, numClasses: max + 1 };
}

/** `ds` with its labels taken from attribute `name` (`--label-attribute`). */
export function labelByAttribute(ds: Dataset, name: string, field = 'labelAttribute'): Dataset {
  const { labels, numClasses, classNames } = classesOfValues(factorValues(ds, name, field), name, field);
  const out: Dataset = { ...ds, labels, numClasses };
  if (classNames) out.classNames = classNames;
  else delete out.classNames;
  return out;
}
