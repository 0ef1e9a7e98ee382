import { categoryColor, toHex } from './palette.js';
import { renderSvg, standalone, type PlotFrame, type PlotSpec } from './render.js';

/** A 2-D scatter of labelled points, one colour per class. */
export interface ScatterOptions extends PlotFrame {
  /** n points as x0, y0, x1, y1, … (n × 2, row-major). */
  points: Float32Array;
  /** The class of each point: an integer in [0, classes). */
  labels: Int32Array;
  /** Name of class k for the legend; default: `String(k)`. */
  classNames?: string[];
  xLabel?: string;
  yLabel?: string;
  /** Marker area in square pixels; default 12 (small dots). */
  pointSize?: number;
  /** Marker opacity in [0, 1]; default 0.7 so dense clusters stay readable. */
  opacity?: number;
  /** Show the class legend; default true. */
  legend?: boolean;
}

interface ScatterRow {
  x: number;
  y: number;
  cls: string;
}

function checkInput({ points, labels }: ScatterOptions): void {
  if (points.length !== 2 * labels.length) {
    throw new Error(`scatterPlot: expected ${2 * labels.length} coordinates for ${labels.length} labels, got ${points.length}`);
  }
  for (const l of labels) {
    if (!Number.isInteger(l) || l < 0) throw new Error(`scatterPlot: labels must be non-negative integers, got ${l}`);
  }
}

/** Legend names of classes 0 … max(label), at least one per given class name. */
function classDomain(labels: Int32Array, classNames: string[] = []): string[] {
  const count = Math.max(classNames.length, labels.reduce((m, l) => Math.max(m, l + 1), 0));
  return Array.from({ length: count }, (_, k) => classNames[k] ?? String(k));
}

/**
 * The Vega-Lite view of a scatter (for {@link sideBySide}); its width and
 * height size the plot area. Class k is drawn in `CATEGORY_COLORS[k % 10]`.
 */
export function scatterSpec(options: ScatterOptions): PlotSpec {
  checkInput(options);
  const { points, labels } = options;
  const domain = classDomain(labels, options.classNames);
  const values: ScatterRow[] = Array.from(labels, (l, i) => ({ x: points[2 * i], y: points[2 * i + 1], cls: domain[l] }));
  return {
    title: options.title,
    width: options.width ?? 360,
    height: options.height ?? 300,
    data: { values },
    mark: { type: 'circle', size: options.pointSize ?? 12, opacity: options.opacity ?? 0.7 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.xLabel ?? 'x', scale: { zero: false, nice: true } },
      y: { field: 'y', type: 'quantitative', title: options.yLabel ?? 'y', scale: { zero: false, nice: true } },
      color: {
        field: 'cls',
        type: 'nominal',
        title: 'class',
        scale: { domain, range: domain.map((_, k) => toHex(categoryColor(k))) },
        legend: options.legend === false ? null : {},
      },
    },
  };
}

/**
 * Scatter plot of 2-D points coloured by class, with a legend, as an SVG of
 * exactly `width` × `height` (default 480 × 400).
 */
export async function scatterPlot(options: ScatterOptions): Promise<{ svg: string }> {
  const spec = standalone(scatterSpec(options), options.width ?? 480, options.height ?? 400);
  return { svg: await renderSvg(spec) };
}
