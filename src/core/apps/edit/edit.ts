/**
 * Latent arithmetic on a trained model: encode a dataset, take the attribute
 * vector v = mean(z | attribute) − mean(z | not), and decode z + α·v for a
 * few examples and several α.
 */
import type { Dataset } from '../../data/types.js';
import { featureSize } from '../../data/types.js';
import { FieldError } from '../../errors.js';
import type { Autoencoder } from '../../models/types.js';
import { tileImages, type Picture } from '../../viz/grid.js';
import { decodeCodes, encodeCodes } from '../../models/inference.js';
import { takeRows } from '../../viz/figures/codes.js';
import { countGroups, findAttribute, parseAttributeSpecs, specText, type Attribute, type AttributeSpec } from './attribute.js';
import { attributeVector, drawnArea, shiftCodes } from './vector.js';
import { gatherRows } from '../../data/pixels.js';
import { forEachRowBatch } from '../../data/batches.js';

export const DEFAULT_ALPHAS: readonly number[] = [-2, -1, 0, 1, 2];

export interface EditOptions {
  /** `label:L`, `factor:NAME`, `column:NAME`, `NAME`, a comma-separated list of them (their vectors are added), or the parsed spec(s). */
  attribute: string | AttributeSpec | AttributeSpec[];
  /** Multiples of v to add; default −2, −1, 0, 1, 2 (α = 0 is the plain reconstruction). */
  alphas?: readonly number[];
  /** Examples to edit; default 8. */
  n?: number;
  /**
   * Which examples: the first n *without* the attribute (default: adding v
   * then shows the attribute appearing), or simply the first n.
   */
  pick?: 'without' | 'first';
}

export interface EditResult {
  attribute: string;
  /** The rule that split the examples, in words. */
  rule: string;
  /** Examples with and without the attribute that v was computed from. */
  positives: number;
  negatives: number;
  /** v and its norm. */
  vector: number[];
  norm: number;
  alphas: number[];
  /** Indices (into the dataset) of the edited examples. */
  examples: number[];
  /** The examples as given, [n, dim]. */
  originals: Float32Array;
  /** Decoded z + α·v, [alphas.length, n, dim]: one block of n images per α. */
  edited: Float32Array;
  /** How far the edit moved a number that should follow the attribute; null when there is none (a table edited along a non-feature column). */
  measure: EditMeasure | null;
}

/**
 * A number per example that should follow the attribute: the drawn area
 * (values above 0.5) of a picture, or for a table edited along a feature
 * column that column in raw units.
 */
export interface EditMeasure {
  what: string;
  /** Mean over the edited examples' decoded z + α·v, per α. */
  perAlpha: number[];
  /**
   * The yardstick: the mean over the dataset's own examples with and without
   * the attribute. Adding v once should carry an example from about
   * `without` towards about `with`.
   */
  data: { with: number; without: number };
}

function checkAlphas(alphas: readonly number[]): void {
  if (alphas.length === 0) throw new FieldError('alpha', 'needs at least one value');
  const bad = alphas.find((a) => !Number.isFinite(a));
  if (bad !== undefined) throw new FieldError('alpha', `values must be finite numbers, got ${bad}`);
}

/** Parse `-2,-1,0,1,2`. */
export function parseAlphas(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const alphas = parts.map(Number);
  const bad = parts.findIndex((s, i) => s === '' || !Number.isFinite(alphas[i]));
  if (bad >= 0) throw new FieldError('alpha', `must be numbers separated by commas (e.g. -2,-1,0,1,2), got '${text}'`);
  return alphas;
}

function pickExamples(mask: Int8Array, n: number, pick: 'without' | 'first'): Int32Array {
  const rows: number[] = [];
  for (let i = 0; i < mask.length && rows.length < n; i++) if (pick === 'first' || mask[i] === 0) rows.push(i);
  return Int32Array.from(rows);
}

/** Decode [count, latent] codes, each with its own label for conditional models. */
function decodeWithLabels(model: Autoencoder, codes: Float32Array, labels: Int32Array): Float32Array {
  return decodeCodes(model, codes, labels.length, model.conditional ? labels : undefined);
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** The measured number of each row of `values` ([count, dim]), or null when nothing fits. */
function measureOf(ds: Dataset, spec: AttributeSpec): { what: string; perRow: (values: Float32Array) => Float64Array } | null {
  const dim = featureSize(ds);
  const table = ds.table;
  if (!table) return { what: 'drawn area (values > 0.5)', perRow: (values) => Float64Array.from(drawnArea(values, dim)) };
  const j = spec.kind === 'column' || spec.kind === 'name' ? table.columns.indexOf(spec.name) : -1;
  if (j < 0) return null;
  const { offset, scale } = table.scaler;
  return { what: `column ${table.columns[j]} (raw units)`, perRow: (values) => Float64Array.from({ length: values.length / dim }, (_, i) => values[i * dim + j] * scale[j] + offset[j]) };
}

/** Mean of `perRow` over the rows with mask 1 and with mask 0. */
function groupMeans(perRow: Float64Array, mask: Int8Array): { with: number; without: number } {
  return { with: mean(perRow.filter((_, i) => mask[i] === 1)), without: mean(perRow.filter((_, i) => mask[i] === 0)) };
}

/** The measure of the edited images ([alphas, n, dim]) per α, beside the data's own groups. */
function measureEdit(ds: Dataset, spec: AttributeSpec, mask: Int8Array, edited: Float32Array, alphaCount: number): EditMeasure | null {
  const measured = measureOf(ds, spec);
  if (!measured) return null;
  const perRow = measured.perRow(edited);
  const n = perRow.length / alphaCount;
  const perAlpha = Array.from({ length: alphaCount }, (_, a) => mean(perRow.subarray(a * n, (a + 1) * n)));
  // A measured column is the attribute's own, so its missing values are already out of both groups (mask -1).
  return { what: measured.what, perAlpha, data: groupMeans(measuredRows(ds, measured.perRow), mask) };
}

/** `perRow` of every example of `ds`, read a batch at a time. */
function measuredRows(ds: Dataset, perRow: (values: Float32Array) => Float64Array): Float64Array {
  const out = new Float64Array(ds.n);
  forEachRowBatch(ds, 1000, (x, _, start) => out.set(perRow(x), start));
  return out;
}

/**
 * Several attributes as one: an example has them all (1), none (0), or
 * some (-1, in neither group).
 */
function combinedMask(attributes: readonly Attribute[]): Int8Array {
  const n = attributes[0]!.mask.length;
  return Int8Array.from({ length: n }, (_, i) => {
    const values = attributes.map((a) => a.mask[i]);
    return values.every((v) => v === 1) ? 1 : values.every((v) => v === 0) ? 0 : -1;
  });
}

function specsOf(attribute: EditOptions['attribute']): AttributeSpec[] {
  if (typeof attribute === 'string') return parseAttributeSpecs(attribute);
  return Array.isArray(attribute) ? attribute : [attribute];
}

/** The sum of the attributes' vectors (one attribute: its vector). */
function summedVector(codes: Float32Array, latent: number, attributes: readonly Attribute[]): Float64Array {
  const sum = new Float64Array(latent);
  for (const a of attributes) attributeVector(codes, latent, a.mask).vector.forEach((v, d) => (sum[d] += v));
  return sum;
}

/**
 * Encode every example of `ds`, compute the attribute vector from all of
 * them (several attributes: the sum of their vectors), and decode z + α·v
 * for `n` examples and every α.
 *
 * @throws UsageError for a bad spec, an attribute the dataset lacks or that
 *   leaves a group empty, bad α values or n < 1
 */
export function editExamples(model: Autoencoder, ds: Dataset, options: EditOptions): EditResult {
  const specs = specsOf(options.attribute);
  const alphas = [...(options.alphas ?? DEFAULT_ALPHAS)];
  const n = options.n ?? 8;
  checkAlphas(alphas);
  if (!Number.isInteger(n) || n < 1) throw new FieldError('n', `must be a positive integer, got ${n}`);
  const attributes = specs.map((spec) => findAttribute(ds, spec));
  const mask = attributes.length === 1 ? attributes[0]!.mask : combinedMask(attributes);
  const spec = specs[0]!;

  const latent = model.config.latent;
  const codes = encodeCodes(model, ds);
  const vector = summedVector(codes, latent, attributes);
  const norm = Math.hypot(...vector);
  const { positives, negatives } = countGroups(mask);

  const rows = pickExamples(mask, n, options.pick ?? 'without');
  const shifted = shiftCodes(takeRows(codes, latent, rows), latent, vector, alphas);
  const labels = Int32Array.from({ length: alphas.length * rows.length }, (_, k) => ds.labels[rows[k % rows.length]]);
  const edited = decodeWithLabels(model, shifted, labels);
  const measure = measureEdit(ds, spec, mask, edited, alphas.length);

  return {
    attribute: specs.map(specText).join(','),
    rule: attributes.map((a) => a.rule).join(' and '),
    positives,
    negatives,
    vector: Array.from(vector),
    norm,
    alphas,
    examples: Array.from(rows),
    originals: gatherRows(ds, rows),
    edited,
    measure,
  };
}

/**
 * The picture: the original examples in the first row, then one row of
 * decoded z + α·v per α (in the order given), one column per example.
 */
export function editImage(result: EditResult, shape: readonly [number, number, number]): Picture {
  const n = result.examples.length;
  const images = new Float32Array(result.originals.length + result.edited.length);
  images.set(result.originals);
  images.set(result.edited, result.originals.length);
  return tileImages(images, n * (1 + result.alphas.length), shape, { cols: n });
}
