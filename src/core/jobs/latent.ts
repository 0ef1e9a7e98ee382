/** Walking the latent space: interpolation between two examples, and latent arithmetic along an attribute. */
import type { z } from 'zod';
import { editExamples, editImage, parseAttributeSpecs, type EditResult } from '../apps/edit/index.js';
import { interpolateExamples, interpolateImage, type InterpolateResult } from '../apps/interpolate/index.js';
import { dataForRun } from '../data/spec.js';
import { editRequest, interpolateRequest } from '../requests/jobs.js';
import { parseRequest } from '../requests/validate.js';
import type { Picture } from '../viz/grid.js';
import { withRun, type JobContext } from './context.js';

export interface InterpolateJobResult {
  result: InterpolateResult;
  /** Example `from`, the decoded path, example `to`. */
  picture: Picture;
  /** The files of examples `from` and `to` (image folders). */
  files?: { from: string; to: string };
}

export async function interpolateJob(input: z.input<typeof interpolateRequest>, ctx: JobContext): Promise<InterpolateJobResult> {
  const request = parseRequest(interpolateRequest, input);
  return withRun(ctx, request.run, async ({ config, model }) => {
    // Only the examples up to the larger index are needed.
    const ds = await dataForRun(config, { ...request, limit: request.limit ?? Math.max(request.from, request.to) + 1 }, ctx.load);
    const result = interpolateExamples(model, ds, { from: request.from, to: request.to, steps: request.steps, path: request.path });
    const files = ds.sources ? { files: { from: ds.sources[request.from]!, to: ds.sources[request.to]! } } : {};
    return { result, picture: interpolateImage(result, ds), ...files };
  });
}

export interface EditJobResult {
  result: EditResult;
  /** The originals in the first row, then a row of decoded z + α·v per α. */
  picture: Picture;
  /** The file of each edited example (image folders), as `result.examples`. */
  files?: string[];
}

export async function editJob(input: z.input<typeof editRequest>, ctx: JobContext): Promise<EditJobResult> {
  const request = parseRequest(editRequest, input);
  // A bad attribute fails before the model and data are loaded.
  const attribute = parseAttributeSpecs(request.attribute);
  return withRun(ctx, request.run, async ({ config, model }) => {
    const ds = await dataForRun(config, request, ctx.load);
    const result = editExamples(model, ds, { attribute, alphas: request.alpha, n: request.n });
    const files = ds.sources ? { files: result.examples.map((i) => ds.sources![i]!) } : {};
    return { result, picture: editImage(result, ds.shape), ...files };
  });
}
