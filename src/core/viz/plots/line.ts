import { renderSvg, standalone, type PlotFrame, type PlotSpec } from './render.js';

/** One curve of a line plot. */
export interface LineSeries {
  /** Legend name, e.g. "train" or "test". */
  name: string;
  x: number[];
  y: number[];
  /** Draw dashed (e.g. for test curves); default solid. */
  dashed?: boolean;
}

/** Curves over a shared x axis, e.g. loss per epoch. */
export interface LineOptions extends PlotFrame {
  series: LineSeries[];
  xLabel?: string;
  yLabel?: string;
}

const SOLID = [1, 0];
const DASHED = [6, 4];

function rows(series: LineSeries[]): { series: string; x: number; y: number }[] {
  return series.flatMap((s) => {
    if (s.x.length !== s.y.length) throw new Error(`linePlot: series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values`);
    return s.x.map((x, i) => ({ series: s.name, x, y: s.y[i] }));
  });
}

/**
 * The Vega-Lite view of a line plot (for {@link sideBySide}). Each series
 * gets a colour and its own dash in the legend; non-finite y values are left out.
 */
export function lineSpec(options: LineOptions): PlotSpec {
  const names = options.series.map((s) => s.name);
  if (new Set(names).size !== names.length) throw new Error('linePlot: series names must be unique');
  return {
    title: options.title,
    width: options.width ?? 360,
    height: options.height ?? 240,
    data: { values: rows(options.series) },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.xLabel ?? 'x' },
      y: { field: 'y', type: 'quantitative', title: options.yLabel ?? 'y', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: names, scheme: 'tableau10' } },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: names, range: options.series.map((s) => (s.dashed ? DASHED : SOLID)) },
      },
    },
  };
}

/**
 * Line plot (training curves: train solid, test dashed, say) as an SVG of
 * exactly `width` × `height` (default 480 × 320).
 */
export async function linePlot(options: LineOptions): Promise<{ svg: string }> {
  const spec = standalone(lineSpec(options), options.width ?? 480, options.height ?? 320);
  return { svg: await renderSvg(spec) };
}
