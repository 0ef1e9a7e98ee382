/** `latentkit plot KIND`: one picture of a run. The figures come from src/viz/figures; this parses, loads and writes. */
import * as path from 'node:path';
import type { Dataset } from '../../core/data/types.js';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import type { Autoencoder } from '../../core/models/types.js';
import { readMetrics, readRunConfig, type RunConfig } from '../../node/run/run-folder.js';
import {
  curvesPlot,
  fitCodeGaussian,
  interpolationImage,
  latentScatter,
  manifoldImage,
  pcaVsAeFigure,
  reconstructionsImage,
  samplesImage,
  type PathKind,
  type Projection,
} from '../../core/viz/figures/index.js';
import { writePlot } from '../../core/viz/plots/index.js';
import type { CommandIO, CommandRun, OptionValues, PLOT_KINDS } from '../options.js';
import { requireOption } from '../parse.js';
import { loadDataFor, openRun, outputPath } from './common.js';

type PlotKind = (typeof PLOT_KINDS)[number];

/** Kinds drawn as image grids (PNG only); the others are vector plots (SVG or PNG). */
const IMAGE_KINDS: ReadonlySet<PlotKind> = new Set(['manifold', 'interpolate', 'samples', 'reconstructions']);

/** What a kind needs from a loaded run. */
interface Loaded {
  values: OptionValues;
  config: RunConfig;
  model: Autoencoder;
}

/** A picture ready to write: SVG (vector kinds) or PNG bytes (image grids), and what it shows. */
type Picture = { svg: string; what: string } | { png: Buffer; what: string };

function checkOut(values: OptionValues, kind: PlotKind): string {
  const out = requireOption<string>(values, 'out', `plot ${kind}`);
  if (IMAGE_KINDS.has(kind) && path.extname(out).toLowerCase() === '.svg') {
    throw new UsageError(`plot ${kind} draws an image grid, which is written as PNG only: --out must end in .png, got '${out}'`);
  }
  return outputPath(values, `plot ${kind}`, IMAGE_KINDS.has(kind) ? ['.png'] : ['.png', '.svg']);
}

const seedOf = (values: OptionValues) => (values.seed as number | undefined) ?? 0;
const classNamesOf = (config: RunConfig, ds: Dataset) => config.data.classNames ?? ds.classNames;

async function latent({ values, config, model }: Loaded): Promise<Picture> {
  const ds = await loadDataFor(config, values);
  const projection = (values.projection as Projection | undefined) ?? 'pca';
  const figure = await latentScatter(model, ds, { method: projection, seed: seedOf(values), maxPoints: values.n as number | undefined, classNames: classNamesOf(config, ds) });
  return { svg: figure.svg, what: figure.title };
}

async function pcaVsAe({ values, config, model }: Loaded): Promise<Picture> {
  const ds = await loadDataFor(config, values);
  const figure = await pcaVsAeFigure(model, ds, { seed: seedOf(values), maxPoints: values.n as number | undefined, classNames: classNamesOf(config, ds) });
  return { svg: figure.svg, what: figure.title };
}

async function manifold({ values, config, model }: Loaded): Promise<Picture> {
  const grid = (values.grid as number | undefined) ?? 20;
  if (model.config.latent !== 2) throw new UsageError(`plot manifold needs a 2-D latent space; this ${config.model.model} has latent ${model.config.latent}`);
  // Models without a prior: follow the spread of their codes instead of N(0, I).
  const gaussian = model.generative ? undefined : fitCodeGaussian(model, await loadDataFor(config, values));
  const png = manifoldImage(model, { grid, label: values.label as number | undefined, gaussian });
  return { png, what: `${grid}×${grid} manifold` };
}

async function interpolate({ values, config, model }: Loaded): Promise<Picture> {
  const from = (values.from as number | undefined) ?? 0;
  const to = (values.to as number | undefined) ?? 1;
  const steps = (values.steps as number | undefined) ?? 10;
  const limit = (values.limit as number | undefined) ?? Math.max(from, to, 0) + 1;
  const ds = await loadDataFor(config, values, { limit });
  const pathKind = (values.path as PathKind | undefined) ?? 'line';
  const png = interpolationImage(model, ds, { from, to, steps, path: pathKind });
  return { png, what: `${steps}-step ${pathKind} interpolation from example ${from} to ${to}` };
}

async function samples({ values, model }: Loaded): Promise<Picture> {
  const n = (values.n as number | undefined) ?? 64;
  return { png: samplesImage(model, { n, seed: seedOf(values), label: values.label as number | undefined }), what: `${n} samples` };
}

async function reconstructions({ values, config, model }: Loaded): Promise<Picture> {
  const n = (values.n as number | undefined) ?? 32;
  if (n < 1) throw new UsageError(`--n must be at least 1, got ${n}`);
  const ds = await loadDataFor(config, values, { limit: n });
  return { png: reconstructionsImage(model, ds, n), what: `${Math.min(n, ds.n)} originals (odd rows) and reconstructions (even rows)` };
}

const MODEL_KINDS: Record<Exclude<PlotKind, 'curves'>, (loaded: Loaded) => Promise<Picture>> = {
  latent,
  'pca-vs-ae': pcaVsAe,
  manifold,
  interpolate,
  samples,
  reconstructions,
};

/** Curves need only metrics.jsonl: no model, no backend. */
async function curves(values: OptionValues): Promise<Picture> {
  const dir = requireOption<string>(values, 'run', 'plot curves');
  readRunConfig(dir);
  const metrics = readMetrics(dir);
  if (metrics.length === 0) throw new UsageError(`${dir} has no training metrics (metrics.jsonl is missing or empty)`);
  const figure = await curvesPlot(metrics);
  return { svg: figure.svg, what: `training curves of ${metrics.length} epoch(s)` };
}

async function draw(kind: PlotKind, values: OptionValues): Promise<Picture> {
  if (kind === 'curves') return curves(values);
  const { model, config } = await openRun(values, 'plot');
  try {
    return await MODEL_KINDS[kind]({ values, config, model });
  } finally {
    model.dispose();
  }
}

function write(out: string, picture: Picture, io: CommandIO): void {
  if ('svg' in picture) writePlot(out, picture.svg);
  else writeFileAtomic(out, picture.png);
  io.stdout.write(`wrote ${picture.what} to ${out}\n`);
}

export const run: CommandRun = async (values, positionals, io) => {
  const kind = positionals[0] as PlotKind;
  const out = checkOut(values, kind);
  write(out, await draw(kind, values), io);
  return 0;
};
