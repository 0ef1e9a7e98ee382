/** Jobs that draw a run's images: samples from the prior, reconstructions of data. */
import type { z } from 'zod';
import { dataForRun } from '../data/spec.js';
import { reconstructRequest, sampleRequest } from '../requests/jobs.js';
import { parseRequest } from '../requests/validate.js';
import type { Picture } from '../viz/grid.js';
import { reconstructImages, reconstructionsImage, sampleImages, samplesImage } from '../viz/figures/images.js';
import { withRun, type JobContext } from './context.js';

export interface SampleResult {
  /** The decoded draws, [n, h·w·c]. */
  images: Float32Array;
  n: number;
  shape: [number, number, number];
  picture: Picture;
}

/** Decode n draws z ~ N(0, T²·I) (a chosen class for conditional models). */
export async function sampleJob(input: z.input<typeof sampleRequest>, ctx: JobContext): Promise<SampleResult> {
  const request = parseRequest(sampleRequest, input);
  return withRun(ctx, request.run, ({ model }) => {
    const options = { n: request.n, seed: request.seed, label: request.label, temperature: request.temperature };
    return { images: sampleImages(model, options), n: request.n, shape: model.config.inputShape, picture: samplesImage(model, options) };
  });
}

export interface ReconstructResult {
  originals: Float32Array;
  recons: Float32Array;
  n: number;
  shape: [number, number, number];
  /** Originals on odd rows, reconstructions below them. */
  picture: Picture;
}

/** The first n examples of the data and their reconstructions. */
export async function reconstructJob(input: z.input<typeof reconstructRequest>, ctx: JobContext): Promise<ReconstructResult> {
  const request = parseRequest(reconstructRequest, input);
  return withRun(ctx, request.run, async ({ config, model }) => {
    const ds = await dataForRun(config, { ...request, limit: Math.min(request.limit ?? request.n, request.n) }, ctx.load);
    const { originals, recons } = reconstructImages(model, ds, request.n);
    return { originals, recons, n: Math.min(request.n, ds.n), shape: model.config.inputShape, picture: reconstructionsImage(model, ds, request.n) };
  });
}
