/**
 * The request bodies of the model service: what each route takes, with
 * ranges and defaults. The HTTP server validates with these and publishes
 * them as JSON Schema in its OpenAPI document; the lab can call the same
 * operations in the page.
 */
import { z } from 'zod';
import { described, label, pathKind, seed } from '../requests/fields.js';

/** Rows per request, the most any route takes (the server may set a lower limit). */
export const MAX_ROWS = 10_000;

const cell = z.number().nullable();
/** One input row: values in the model's units (pixels in [0, 1]; table rows in the file's units), or a table row by column name. */
const row = z.union([z.array(cell).min(1), z.record(z.string(), cell)]);

export const inputs = described(z.array(row).min(1).max(MAX_ROWS), {
  description: 'rows to process: flat pixel values in [0, 1] for image models; for table models the feature columns in file units, as a list in column order or an object by column name',
});
const labels = described(z.array(z.int().min(0)).min(1).max(MAX_ROWS), { description: 'class of each row (conditional models)' });

export const rowsBody = z.strictObject({ inputs, labels: labels.optional() });

export const decodeBody = z.strictObject({
  codes: described(z.array(z.array(z.number()).min(1)).min(1).max(MAX_ROWS), { description: 'latent codes to decode, one list of latent-size numbers each' }),
  labels: labels.optional(),
});

export const sampleBody = z.strictObject({
  n: described(z.int().min(1).max(1000).default(8), { description: 'draws from the prior' }),
  label: label.optional(),
  seed,
  temperature: described(z.number().gt(0).max(10).default(1), { description: 'scale T of the prior draws z ~ N(0, T²·I)' }),
});

export const imputeBody = z.strictObject({
  inputs: described(inputs, { description: 'rows with missing entries as null (or, for tables, columns left out of an object row)' }),
  labels: labels.optional(),
  maxIter: described(z.int().min(1).max(1000).default(50), { description: 'rounds of reconstruct-and-refill at most' }),
  tol: described(z.number().gt(0).max(1).default(1e-4), { description: 'stop when the filled entries change less than this' }),
});

export const searchBody = z.strictObject({
  inputs,
  k: described(z.int().min(1).max(1000).default(10), { description: 'neighbours to return per row' }),
});

export const interpolateBody = z.strictObject({
  inputs: described(z.array(row).length(2), { description: 'the two rows to walk between' }),
  labels: labels.optional(),
  steps: described(z.int().min(2).max(1000).default(10), { description: 'decoded points on the path, ends included' }),
  path: pathKind,
});

export type RowsBody = z.output<typeof rowsBody>;
export type DecodeBody = z.output<typeof decodeBody>;
export type SampleBody = z.output<typeof sampleBody>;
export type ImputeBody = z.output<typeof imputeBody>;
export type SearchBody = z.output<typeof searchBody>;
export type InterpolateBody = z.output<typeof interpolateBody>;
export type InputRow = z.output<typeof row>;
