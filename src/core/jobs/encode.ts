/** The code E[z|x] of every example of the data. */
import type { z } from 'zod';
import { csvField } from '../data/csv/field.js';
import { dataForRun } from '../data/spec.js';
import { encodeCodes } from '../models/inference.js';
import { encodeRequest } from '../requests/jobs.js';
import { parseRequest } from '../requests/validate.js';
import { withRun, type JobContext } from './context.js';

export interface EncodeResult {
  /** [n, latent] row-major. */
  codes: Float32Array;
  labels: Int32Array;
  n: number;
  latent: number;
  dataset: string;
  split: string;
  /** Each example's file (image folders), in row order. */
  sources?: string[];
}

export async function encodeJob(input: z.input<typeof encodeRequest>, ctx: JobContext): Promise<EncodeResult> {
  const request = parseRequest(encodeRequest, input);
  return withRun(ctx, request.run, async ({ config, model }) => {
    const ds = await dataForRun(config, request, ctx.load);
    return { codes: encodeCodes(model, ds), labels: ds.labels, n: ds.n, latent: model.config.latent, dataset: ds.name, split: ds.split, ...(ds.sources ? { sources: ds.sources } : {}) };
  });
}

/** Codes as CSV: a header `[file,]label,z1,...`, then one row per example; the file column names image-folder examples. */
export function codesCsv(result: Pick<EncodeResult, 'codes' | 'labels' | 'latent' | 'sources'>): string {
  const { codes, labels, latent, sources } = result;
  const file = (i: number) => (sources ? `${csvField(sources[i]!)},` : '');
  const rows = [[...(sources ? ['file'] : []), 'label', ...Array.from({ length: latent }, (_, i) => `z${i + 1}`)].join(',')];
  for (let i = 0; i < labels.length; i++) rows.push(`${file(i)}${labels[i]},${Array.from(codes.subarray(i * latent, (i + 1) * latent)).join(',')}`);
  return `${rows.join('\n')}\n`;
}

/** Codes as one [n, 1 + latent] table, the label first (as in the CSV). */
export function codesTable(result: Pick<EncodeResult, 'codes' | 'labels' | 'latent'>): Float32Array {
  const { codes, labels, latent } = result;
  const table = new Float32Array(labels.length * (latent + 1));
  for (let i = 0; i < labels.length; i++) {
    table[i * (latent + 1)] = labels[i]!;
    table.set(codes.subarray(i * latent, (i + 1) * latent), i * (latent + 1) + 1);
  }
  return table;
}
