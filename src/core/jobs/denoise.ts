/** Cleaning inputs with an autoencoder (a denoising one above all), and filling in missing entries. */
import type { z } from 'zod';
import { denoiseDataset, parseCorrupt, stackedVersions, tableRowsCsv, type DenoiseResult } from '../apps/denoise/index.js';
import { featureMeans, imageMask, imputeDataset, parseMask, randomMaskRows, repeatMaskRows, scaledTableMeans, type DatasetImputation, type MaskRows, type MaskSpec } from '../apps/impute/index.js';
import { dataForRun, runTrainingSpec } from '../data/spec.js';
import { featureSize, type Dataset } from '../data/types.js';
import { FieldError } from '../errors.js';
import type { RunConfig } from '../run/config.js';
import { denoiseRequest, imputeRequest } from '../requests/jobs.js';
import { parseRequest } from '../requests/validate.js';
import type { Picture } from '../viz/grid.js';
import { readUserImage, withRun, type JobContext } from './context.js';
import { pixelRange } from '../data/pixels.js';

/** What a table job gives back: rows in the file's units. */
export interface RowsOutput {
  kind: 'rows';
  csv: string;
}

/** What an image job gives back: a picture. */
export interface PictureOutput {
  kind: 'picture';
  picture: Picture;
}

export interface DenoiseJobResult {
  result: DenoiseResult;
  dataset: string;
  /** Images: noisy / cleaned / clean rows (clean only with `corrupt`); tables: the cleaned rows. */
  output: RowsOutput | PictureOutput;
}

export async function denoiseJob(input: z.input<typeof denoiseRequest>, ctx: JobContext): Promise<DenoiseJobResult> {
  const request = parseRequest(denoiseRequest, input);
  const corrupt = request.corrupt === undefined ? undefined : parseCorrupt(request.corrupt);
  return withRun(ctx, request.run, async ({ config, model }) => {
    const ds = await dataForRun(config, request, ctx.load);
    const count = Math.min(request.n, ds.n);
    // A table's output is every cleaned row; an image's is a picture of the first `count`.
    const result = denoiseDataset(model, ds, { corrupt, seed: request.seed, keep: ds.table ? ds.n : count });
    if (ds.table) return { result, dataset: ds.name, output: { kind: 'rows', csv: tableRowsCsv(ds, result.cleaned) } };
    const versions = result.quality ? [result.noisy, result.cleaned, pixelRange(ds, 0, count)] : [result.noisy, result.cleaned];
    return { result, dataset: ds.name, output: { kind: 'picture', picture: stackedVersions(versions, count, ds.shape) } };
  });
}

/**
 * Where imputation starts: the training means. A table's scaler holds them;
 * for images they are the per-pixel means of the run's training images.
 */
async function trainingMeans(config: RunConfig, ds: Dataset, ctx: JobContext, dataDir?: string): Promise<Float32Array> {
  if (ds.table) return scaledTableMeans(ds.table.scaler);
  return featureMeans(await dataForRun(config, runTrainingSpec(config, { dataDir }), ctx.load));
}

/** The entries to hide (1 = hide), as rows [n, dim] drawn when needed; null when only the data's own gaps are filled. */
async function hiddenEntries(spec: MaskSpec | undefined, ds: Dataset, seed: number, ctx: JobContext): Promise<MaskRows | null> {
  if (!spec) {
    if (ds.table) return null;
    throw new FieldError('mask', 'is needed for images: which pixels to hide and fill (a fraction, or a mask image)');
  }
  if (spec.kind === 'fraction') return randomMaskRows(featureSize(ds), spec.fraction, seed, ds.shape[2]);
  if (ds.table) throw new FieldError('mask', 'FILE is for images; give a fraction of cells to hide in a table');
  const pixels = await readUserImage(ctx, spec.file, ds.shape);
  return repeatMaskRows(imageMask(pixels, spec.file, ds.shape));
}

export interface ImputeJobResult {
  result: DatasetImputation;
  n: number;
  /** Images: rows of input with gaps mid-grey, mean fill, iterative fill, original; tables: the filled rows. */
  output: RowsOutput | PictureOutput;
}

export async function imputeJob(input: z.input<typeof imputeRequest>, ctx: JobContext): Promise<ImputeJobResult> {
  const request = parseRequest(imputeRequest, input);
  const spec = request.mask === undefined ? undefined : parseMask(request.mask);
  return withRun(ctx, request.run, async ({ config, model }) => {
    const ds = await dataForRun(config, request, ctx.load);
    const hide = await hiddenEntries(spec, ds, request.seed, ctx);
    const count = Math.min(request.n, ds.n);
    // A table's output is every filled row; an image's is a picture of the first `count`.
    const keep = ds.table ? ds.n : count;
    const result = imputeDataset(model, ds, hide, await trainingMeans(config, ds, ctx, request.dataDir), { maxIter: request.maxIter, tol: request.tol, keep });
    if (ds.table) return { result, n: ds.n, output: { kind: 'rows', csv: tableRowsCsv(ds, result.filled) } };
    const shown = pixelRange(ds, 0, count);
    for (let i = 0; i < shown.length; i++) if (result.missing[i]) shown[i] = 0.5;
    return { result, n: ds.n, output: { kind: 'picture', picture: stackedVersions([shown, result.meanFilled, result.filled, pixelRange(ds, 0, count)], count, ds.shape) } };
  });
}
