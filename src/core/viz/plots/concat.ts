import type { TopLevelSpec } from 'vega-lite';
import { PLOT_CONFIG, renderSvg, type PlotSpec } from './render.js';

/**
 * Several plots in one row of one picture, e.g. a PCA scatter next to an
 * autoencoder's, built from {@link scatterSpec} / {@link lineSpec} views.
 * Here each panel's width and height size its plot area; axes, titles and
 * the legend come on top. Colour scales are shared, so scatters with the
 * same classes get the same colours and one legend.
 */
export async function sideBySide(panels: PlotSpec[], options: { title?: string } = {}): Promise<{ svg: string }> {
  if (panels.length === 0) throw new Error('sideBySide: no panels');
  const title = options.title === undefined ? undefined : { text: options.title, anchor: 'middle' as const };
  const spec: TopLevelSpec = { title, hconcat: panels, config: PLOT_CONFIG };
  return { svg: await renderSvg(spec) };
}
