/**
 * Pictures of a run (`latentkit plot KIND`, the report): image grids
 * (samples, reconstructions, manifold, interpolation) as Pictures, vector
 * plots (latent scatter, PCA beside the codes, training curves) as SVG.
 * Vega loads only when a vector plot is drawn.
 */
import type { z } from 'zod';
import { median, splitValues } from '../apps/edit/attribute.js';
import { interpolateExamples, interpolateImage } from '../apps/interpolate/index.js';
import { factorValues, labelByAttribute } from '../data/image-options.js';
import { dataForRun } from '../data/spec.js';
import type { Dataset } from '../data/types.js';
import { FieldError, UsageError } from '../errors.js';
import type { Autoencoder } from '../models/types.js';
import { PLOT_KINDS, plotRequest, type PlotRequest } from '../requests/jobs.js';
import { parseRequest } from '../requests/validate.js';
import type { RunConfig } from '../run/config.js';
import { readStoredConfig, readStoredMetrics } from '../run/run.js';
import type { Picture } from '../viz/grid.js';
import { fitCodeGaussian, manifoldImage, reconstructionsImage, samplesImage } from '../viz/figures/images.js';
import { withRun, type JobContext } from './context.js';

export type PlotKind = (typeof PLOT_KINDS)[number];

/** Kinds drawn as image grids (PNG only); the others are vector plots (SVG or PNG). */
export const IMAGE_KINDS: ReadonlySet<PlotKind> = new Set(['manifold', 'interpolate', 'samples', 'reconstructions']);

/** A picture ready to write, and what it shows. */
export type PlotResult = { kind: PlotKind; svg: string; what: string } | { kind: PlotKind; picture: Picture; what: string };

interface Loaded {
  request: PlotRequest;
  config: RunConfig;
  model: Autoencoder;
  data: (limit?: number) => Promise<Dataset>;
}

const classNamesOf = (config: RunConfig, ds: Dataset) => config.data.classNames ?? ds.classNames;

/** Most distinct integer values an attribute may have to colour by them as they are. */
const MAX_COLOURS = 20;

/**
 * The points to draw and their class names: the dataset's labels, or with
 * `--color-by NAME` classes from that attribute (0/1 or a few integers as
 * they are, anything else split at its median).
 */
function colouring(config: RunConfig, ds: Dataset, colorBy: string | undefined): { ds: Dataset; classNames?: string[] } {
  if (colorBy === undefined) return { ds, classNames: classNamesOf(config, ds) };
  const values = factorValues(ds, colorBy, 'colorBy');
  const distinct = new Set(values);
  if ([...distinct].every((v) => Number.isInteger(v) && v >= 0) && distinct.size <= MAX_COLOURS) {
    const relabelled = labelByAttribute(ds, colorBy, 'colorBy');
    return { ds: relabelled, classNames: relabelled.classNames ?? Array.from({ length: relabelled.numClasses }, (_, k) => `${colorBy} = ${k}`) };
  }
  const m = Number(median(values).toPrecision(4));
  const { mask } = splitValues(values, colorBy);
  if (mask.includes(-1)) throw new FieldError('colorBy', `'${colorBy}' has missing values; colour by an attribute every example has`);
  return { ds: { ...ds, labels: Int32Array.from(mask), numClasses: 2 }, classNames: [`${colorBy} ≤ ${m}`, `${colorBy} > ${m}`] };
}

type Draw = (loaded: Loaded) => Promise<Omit<PlotResult, 'kind'>>;

const MODEL_KINDS: Record<Exclude<PlotKind, 'curves'>, Draw> = {
  async latent({ request, config, model, data }) {
    const { latentScatter } = await import('../viz/figures/latent.js');
    const { ds, classNames } = colouring(config, await data(), request.colorBy);
    const figure = await latentScatter(model, ds, { method: request.projection, seed: request.seed, maxPoints: request.n, classNames });
    return { svg: figure.svg, what: figure.title };
  },
  async 'pca-vs-ae'({ request, config, model, data }) {
    const { pcaVsAeFigure } = await import('../viz/figures/latent.js');
    const { ds, classNames } = colouring(config, await data(), request.colorBy);
    const figure = await pcaVsAeFigure(model, ds, { seed: request.seed, maxPoints: request.n, classNames });
    return { svg: figure.svg, what: figure.title };
  },
  async manifold({ request, config, model, data }) {
    if (model.config.latent !== 2) throw new UsageError(`plot manifold needs a 2-D latent space; this ${config.model.model} has latent ${model.config.latent}`);
    // Models without a prior: follow the spread of their codes instead of N(0, I).
    const gaussian = model.generative ? undefined : fitCodeGaussian(model, await data());
    return { picture: manifoldImage(model, { grid: request.grid, label: request.label, gaussian }), what: `${request.grid}×${request.grid} manifold` };
  },
  async interpolate({ request, model, data }) {
    const ds = await data(request.limit ?? Math.max(request.from, request.to) + 1);
    const result = interpolateExamples(model, ds, { from: request.from, to: request.to, steps: request.steps, path: request.path });
    return { picture: interpolateImage(result, ds), what: `${request.steps}-step ${request.path} interpolation from example ${request.from} to ${request.to}` };
  },
  async samples({ request, model }) {
    const n = request.n ?? 64;
    return { picture: samplesImage(model, { n, seed: request.seed, label: request.label }), what: `${n} samples` };
  },
  async reconstructions({ request, model, data }) {
    const n = request.n ?? 32;
    const ds = await data(n);
    return { picture: reconstructionsImage(model, ds, n), what: `${Math.min(n, ds.n)} originals (odd rows) and reconstructions (even rows)` };
  },
};

/** Curves need only metrics.jsonl: no model, no backend. */
async function curves(request: PlotRequest, ctx: JobContext): Promise<PlotResult> {
  const store = await ctx.openStore(request.run);
  await readStoredConfig(store);
  const metrics = await readStoredMetrics(store);
  if (metrics.length === 0) throw new UsageError(`${store.name} has no training metrics (metrics.jsonl is missing or empty)`);
  const { curvesPlot } = await import('../viz/figures/curves.js');
  const figure = await curvesPlot(metrics);
  return { kind: 'curves', svg: figure.svg, what: `training curves of ${metrics.length} epoch(s)` };
}

export async function plotJob(input: z.input<typeof plotRequest>, ctx: JobContext): Promise<PlotResult> {
  const request = parseRequest(plotRequest, input);
  const kind = request.kind;
  if (kind === 'curves') return curves(request, ctx);
  return withRun(ctx, request.run, async ({ config, model }) => {
    const data = (limit?: number) => dataForRun(config, { ...request, limit: limit ?? request.limit }, ctx.load);
    const drawn = await MODEL_KINDS[kind]({ request, config, model, data });
    return { ...drawn, kind } as PlotResult;
  });
}
