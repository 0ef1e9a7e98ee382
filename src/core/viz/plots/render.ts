import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';

/** The font family every plot uses; {@link svgToPng} ships it. */
export const PLOT_FONT = 'DejaVu Sans';

/** A Vega-Lite view that can stand inside a concatenation. */
type ViewSpec = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

/** A Vega-Lite single view with data, mark and encoding (what the plot builders return). */
export type PlotSpec = UnitSpec & { data: NonNullable<UnitSpec['data']> };
type UnitSpec = Extract<ViewSpec, { mark: unknown }>;

/** Options shared by every plot. */
export interface PlotFrame {
  /** Title above the plot. */
  title?: string;
  /** Total picture width in pixels (SVG units). */
  width?: number;
  /** Total picture height in pixels (SVG units). */
  height?: number;
}

/** Settings every picture shares: white background, the bundled font. */
export const PLOT_CONFIG = {
  background: 'white',
  font: `${PLOT_FONT}, sans-serif`,
  view: { stroke: '#dddddd' },
} as const;

const offline = (): Promise<never> => Promise.reject(new Error('latentkit plots load no external resources'));

/** A Vega loader that refuses every request, so rendering never reaches a network or file. */
const noLoader: Vega.Loader = { load: offline, sanitize: offline, http: offline, file: offline };

/**
 * Render a complete Vega-Lite spec to an SVG string, headless (no canvas, no
 * browser) and offline.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Vega and Vega-Lite load with the first plot, not with latentkit.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const { spec: vgSpec } = compile(spec);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader: noLoader, logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Wrap one view into a picture of exactly `width` × `height`: axes, legend and
 * title are fitted inside that size.
 */
export function standalone(view: PlotSpec, width: number, height: number): TopLevelSpec {
  return {
    ...view,
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    config: PLOT_CONFIG,
  };
}
