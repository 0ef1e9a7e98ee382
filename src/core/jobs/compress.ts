/** Compression as jobs: a dataset's codes quantised into .lkz bytes, and .lkz bytes decoded back. */
import type { z } from 'zod';
import { compressDataset, decompressCodes, type CompressionReport } from '../apps/compress/index.js';
import type { CompressedCodes } from '../apps/compress/format.js';
import { dataForRun } from '../data/spec.js';
import { decodeCodes } from '../models/inference.js';
import { compressRequest, decompressRequest } from '../requests/jobs.js';
import { parseRequest } from '../requests/validate.js';
import { withRun, type JobContext } from './context.js';

export interface CompressResult {
  bytes: Uint8Array;
  report: CompressionReport;
  dataset: string;
  split: string;
}

export async function compressJob(input: z.input<typeof compressRequest>, ctx: JobContext): Promise<CompressResult> {
  const request = parseRequest(compressRequest, input);
  return withRun(ctx, request.run, async ({ config, model }) => {
    const ds = await dataForRun(config, request, ctx.load);
    return { ...compressDataset(model, ds, request.bits), dataset: ds.name, split: ds.split };
  });
}

export interface DecompressResult {
  /** Decoded data, [n, h·w·c]. */
  data: Float32Array;
  n: number;
  shape: [number, number, number];
  labels?: Int32Array;
  file: CompressedCodes;
}

/** Decode the codes of a .lkz file (request.input names it) with the run that made them. */
export async function decompressJob(input: z.input<typeof decompressRequest>, ctx: JobContext): Promise<DecompressResult> {
  const request = parseRequest(decompressRequest, input);
  const bytes = await ctx.readFile(request.input);
  return withRun(ctx, request.run, ({ model }) => {
    const { codes, labels, file } = decompressCodes(model, bytes, request.input);
    return { data: decodeCodes(model, codes, file.n, labels), n: file.n, shape: model.config.inputShape, labels, file };
  });
}
