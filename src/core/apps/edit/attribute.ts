/**
 * Which examples have an attribute: `label:L`, `factor:NAME` (the sprites'
 * ground-truth factors, CelebA's attributes, an --attributes table's
 * columns), `column:NAME` (a column of a csv dataset), or a bare NAME: the
 * factor or column of that name, whichever the dataset has.
 *
 * Continuous values are split at their median: the attribute is "above the
 * median", its absence "at or below it". Splitting at the median gives two
 * groups of about the same size whatever the distribution, so neither mean in
 * the attribute vector rests on a handful of examples. A 0/1 column is taken
 * as it is (1 = has the attribute).
 */
import { featureSize, type Dataset } from '../../data/types.js';
import { FieldError, UsageError } from '../../errors.js';
import { forEachRowBatch } from '../../data/batches.js';

export type AttributeSpec = { kind: 'label'; label: number } | { kind: 'factor'; name: string } | { kind: 'column'; name: string } | { kind: 'name'; name: string };

/** Per example: 1 has the attribute, 0 does not, -1 unknown (a missing csv value; left out of both groups). */
export type AttributeMask = Int8Array;

export interface Attribute {
  spec: AttributeSpec;
  mask: AttributeMask;
  /** The rule in words, e.g. "factor scale > 0.748 (its median)". */
  rule: string;
}

const SPEC_HELP = 'use label:L, factor:NAME, column:NAME (csv) or an attribute NAME';

/** Parse `label:3`, `factor:scale`, `column:smoker`, `Smiling`. */
export function parseAttributeSpec(text: string): AttributeSpec {
  const colon = text.indexOf(':');
  if (colon < 0 && text.trim() !== '') return { kind: 'name', name: text.trim() };
  const kind = colon < 0 ? text : text.slice(0, colon);
  const value = colon < 0 ? '' : text.slice(colon + 1).trim();
  if (colon < 0 || value === '') throw new FieldError('attribute', `'${text}' is not a valid attribute; ${SPEC_HELP}`);
  if (kind === 'label') {
    if (!/^\d+$/.test(value)) throw new UsageError(`--attribute label:L needs a non-negative integer label, got '${value}'`);
    return { kind: 'label', label: Number(value) };
  }
  if (kind === 'factor' || kind === 'column') return { kind, name: value };
  throw new FieldError('attribute', `'${text}': unknown kind '${kind}'; ${SPEC_HELP}`);
}

/** Parse a comma-separated list of attributes (`Smiling,Eyeglasses`), whose vectors are added. */
export function parseAttributeSpecs(text: string): AttributeSpec[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new FieldError('attribute', `'${text}' has an empty attribute; separate attributes with single commas`);
  return parts.map(parseAttributeSpec);
}

/** The median of the finite values (mean of the two middle ones for an even count). */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).filter(Number.isFinite).sort();
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (x: number) => Number(x.toPrecision(4));

/**
 * Split values into the attribute (1) and its absence (0); NaN is unknown
 * (-1). Values that are all 0 or 1 are used as they are, others are split at
 * their median.
 */
export function splitValues(values: ArrayLike<number>, what: string): { mask: AttributeMask; rule: string } {
  const mask = new Int8Array(values.length);
  const finite = Array.from(values).filter(Number.isFinite);
  if (finite.length > 0 && finite.every((v) => v === 0 || v === 1)) {
    for (let i = 0; i < values.length; i++) mask[i] = Number.isFinite(values[i]) ? values[i] : -1;
    return { mask, rule: `${what} = 1` };
  }
  const m = median(values);
  for (let i = 0; i < values.length; i++) mask[i] = Number.isFinite(values[i]) ? (values[i] > m ? 1 : 0) : -1;
  return { mask, rule: `${what} > ${round(m)} (its median)` };
}

function labelAttribute(ds: Dataset, label: number): Omit<Attribute, 'spec'> {
  if (label >= ds.numClasses) throw new FieldError('attribute', `label:${label}: ${ds.name} has labels 0 to ${ds.numClasses - 1}`);
  const mask = Int8Array.from(ds.labels, (l) => (l === label ? 1 : 0));
  const name = ds.classNames?.[label];
  return { mask, rule: `label = ${label}${name !== undefined && name !== String(label) ? ` (${name})` : ''}` };
}

function factorAttribute(ds: Dataset, name: string): Omit<Attribute, 'spec'> {
  const factors = ds.factors;
  if (!factors) throw new FieldError('attribute', `factor:${name}: ${ds.name} has no ground-truth factors or attributes (sprites and celeba: have them; give images: an --attributes table)`);
  const k = factors.names.indexOf(name);
  if (k < 0) throw new FieldError('attribute', `factor:${name}: ${ds.name} has no factor '${name}'; its factors are ${factors.names.join(', ')}`);
  const columns = factors.names.length;
  const values = Float64Array.from({ length: ds.n }, (_, i) => factors.values[i * columns + k]);
  return splitValues(values, `factor ${name}`);
}

/**
 * The label column: integer labels as they are; text labels (class names,
 * numbered in sorted order) split by that order, and the rule names them.
 */
function labelColumnAttribute(ds: Dataset, name: string): Omit<Attribute, 'spec'> {
  const split = splitValues(Float64Array.from(ds.labels), `column ${name}`);
  const names = ds.classNames;
  if (!names) return split;
  const having = names.filter((_, k) => split.mask[ds.labels.indexOf(k)] === 1);
  return { mask: split.mask, rule: `column ${name} is ${having.map((v) => `'${v}'`).join(' or ')}` };
}

/** Column `j` of every row as stored (scaled), read a batch at a time. */
function columnValues(ds: Dataset, j: number): Float32Array {
  const d = featureSize(ds);
  const out = new Float32Array(ds.n);
  forEachRowBatch(ds, 1000, (x, _, start, end) => {
    for (let i = start; i < end; i++) out[i] = x[(i - start) * d + j]!;
  });
  return out;
}

/** A feature column in raw units (the scaler undone), NaN where the file had no value. */
function columnAttribute(ds: Dataset, name: string): Omit<Attribute, 'spec'> {
  const table = ds.table;
  if (!table) throw new FieldError('attribute', `column:${name} needs a csv dataset (csv:PATH); ${ds.name} has no columns`);
  if (name === table.labelColumn) return labelColumnAttribute(ds, name);
  const j = table.columns.indexOf(name);
  if (j < 0) {
    const known = [...table.columns, ...(table.labelColumn ? [table.labelColumn] : [])];
    throw new FieldError('attribute', `column:${name}: no such column; the columns are ${known.join(', ')}`);
  }
  const d = table.columns.length;
  const { offset, scale } = table.scaler;
  const values = Float64Array.from(columnValues(ds, j), (v, i) => (table.missing[i * d + j] ? NaN : v * scale[j] + offset[j]));
  // Undoing the scaling in float32 leaves 0.99999994 where the file said 1.
  const snapped = values.map((v) => (Math.abs(v - Math.round(v)) < 1e-4 ? Math.round(v) : v));
  return splitValues(snapped, `column ${name}`);
}

/** A bare name: the dataset's factor of that name, else its column. */
function namedAttribute(ds: Dataset, name: string): Omit<Attribute, 'spec'> {
  if (ds.factors?.names.includes(name)) return factorAttribute(ds, name);
  const table = ds.table;
  if (table && (table.columns.includes(name) || table.labelColumn === name)) return columnAttribute(ds, name);
  const known = [...(ds.factors?.names ?? []), ...(table ? [...table.columns, ...(table.labelColumn ? [table.labelColumn] : [])] : [])];
  throw new FieldError('attribute', `'${name}' is not an attribute of ${ds.name}; ${known.length > 0 ? `its attributes are ${known.join(', ')}` : `it has none (${SPEC_HELP})`}`);
}

/**
 * Which examples of `ds` have the attribute. Throws a UsageError when the
 * dataset lacks the label, factor or column, or when either group is empty
 * (the vector would be undefined).
 */
export function findAttribute(ds: Dataset, spec: AttributeSpec): Attribute {
  const found = spec.kind === 'label' ? labelAttribute(ds, spec.label) : spec.kind === 'factor' ? factorAttribute(ds, spec.name) : spec.kind === 'column' ? columnAttribute(ds, spec.name) : namedAttribute(ds, spec.name);
  const { positives, negatives } = countGroups(found.mask);
  if (positives === 0 || negatives === 0) {
    const missing = positives === 0 ? 'no example has it' : 'every example has it';
    throw new FieldError('attribute', `${specText(spec)}: ${missing} among the ${ds.n} examples used (${found.rule}); the vector needs both groups`);
  }
  return { spec, ...found };
}

export function countGroups(mask: AttributeMask): { positives: number; negatives: number } {
  let positives = 0;
  let negatives = 0;
  for (const m of mask) {
    if (m === 1) positives++;
    else if (m === 0) negatives++;
  }
  return { positives, negatives };
}

export function specText(spec: AttributeSpec): string {
  return spec.kind === 'label' ? `label:${spec.label}` : spec.kind === 'name' ? spec.name : `${spec.kind}:${spec.name}`;
}
