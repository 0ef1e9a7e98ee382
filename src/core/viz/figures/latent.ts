/** Scatter figures of the latent space: codes coloured by class, and PCA of pixels beside the autoencoder's code. */
import { featureSize, type Dataset } from '../../data/types.js';
import type { Autoencoder } from '../../models/types.js';
import { scatterPlot, scatterSpec, sideBySide } from '../plots/index.js';
import { encodeCodes, subsampleRows } from './codes.js';
import { pcaPoints, projectTo2d, type ProjectOptions, type Projected } from './projection.js';
import { gatherRows } from '../../data/pixels.js';
import { fitDatasetPca } from '../../eval/pixel-pca.js';

export interface LatentScatterOptions extends ProjectOptions {
  /** Legend names of the classes; default the dataset's, else the label numbers. */
  classNames?: string[];
  /** Picture size; default 560 × 480. */
  width?: number;
  height?: number;
  /** Title; default says what is drawn (model, data, projection, points). */
  title?: string;
}

/** A drawn picture: the SVG and its title. */
export interface Figure {
  svg: string;
  title: string;
}

/** "1000 of 10000 points" when subsampled, else "" (for titles). */
function pointsNote(projected: Projected, n: number): string {
  return projected.rows.length < n ? `, ${projected.rows.length} of ${n} points` : '';
}

function labelsOf(ds: Dataset, rows: Int32Array): Int32Array {
  return Int32Array.from(rows, (r) => ds.labels[r]);
}

/**
 * The codes E[z|x] of `ds` as a scatter coloured by class, with a legend.
 * 2-D codes are drawn as they are; larger ones through `projection`
 * (default PCA). The title says how, and how many points were drawn.
 */
export async function latentScatter(model: Autoencoder, ds: Dataset, options: LatentScatterOptions = {}): Promise<Figure> {
  const latent = model.config.latent;
  const projected = projectTo2d(encodeCodes(model, ds), ds.n, latent, options);
  const title = options.title ?? `${model.config.model} codes of ${ds.name} ${ds.split}: ${projected.method}${pointsNote(projected, ds.n)}`;
  const { svg } = await scatterPlot({
    points: projected.points,
    labels: labelsOf(ds, projected.rows),
    classNames: options.classNames ?? ds.classNames,
    xLabel: projected.axes[0],
    yLabel: projected.axes[1],
    title,
    width: options.width ?? 560,
    height: options.height ?? 480,
  });
  return { svg, title };
}

export interface PcaVsAeOptions {
  /** Points drawn in each panel (a seeded subset); default 5000. */
  maxPoints?: number;
  /** Seed of the subset; default 0. */
  seed?: number;
  /** Legend names of the classes. */
  classNames?: string[];
  /** Size of each panel's plot area; default 320 × 300. */
  panelWidth?: number;
  panelHeight?: number;
}

/**
 * The lecture's figure: PCA's 2-D projection of the raw pixels beside the
 * autoencoder's 2-D code (itself projected with PCA when larger), the same
 * examples in the same class colours.
 */
export async function pcaVsAeFigure(model: Autoencoder, ds: Dataset, options: PcaVsAeOptions = {}): Promise<Figure> {
  const dim = featureSize(ds);
  const subset = { maxPoints: options.maxPoints ?? 5000, seed: options.seed ?? 0 };
  // PCA is fitted on every example as stored (bytes for images); only the drawn ones are read as floats.
  const rows = subsampleRows(ds.n, subset.maxPoints, subset.seed);
  const pixels: Projected = dim <= 2 ? { ...projectTo2d(gatherRows(ds, rows), rows.length, dim, { subject: 'pixels', maxPoints: rows.length }), rows } : { rows, ...pcaPoints(fitDatasetPca(ds, 2), gatherRows(ds, rows), rows.length, 'pixels') };
  const codes = projectTo2d(encodeCodes(model, ds), ds.n, model.config.latent, { ...subset, method: 'pca' });
  const labels = labelsOf(ds, pixels.rows);
  const panel = (projected: Projected, title: string) =>
    scatterSpec({
      points: projected.points,
      labels,
      classNames: options.classNames ?? ds.classNames,
      xLabel: projected.axes[0],
      yLabel: projected.axes[1],
      title,
      width: options.panelWidth ?? 320,
      height: options.panelHeight ?? 300,
    });
  const title = `PCA vs ${model.config.model}: ${ds.name} ${ds.split}${pointsNote(pixels, ds.n)}`;
  const { svg } = await sideBySide([panel(pixels, pixels.method), panel(codes, `${model.config.model}: ${codes.method}`)], { title });
  return { svg, title };
}
