/** Vector plots to files: SVG as it is, PNG rasterised by resvg (loaded only when a PNG is asked for). */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { PLOT_FONT } from '../../core/viz/plots/render.js';
import { writeFileAtomic } from './atomic.js';

const require = createRequire(import.meta.url);
let fontOptions: ResvgRenderOptions['font'] | undefined;

/** DejaVu Sans from the `dejavu-fonts-ttf` package, and no system fonts: the same pixels on every machine. */
function bundledFont(): ResvgRenderOptions['font'] {
  if (!fontOptions) {
    const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
    fontOptions = {
      fontFiles: ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => path.join(dir, f)),
      loadSystemFonts: false,
      defaultFontFamily: PLOT_FONT,
      sansSerifFamily: PLOT_FONT,
    };
  }
  return fontOptions;
}

/** Rasterise an SVG to PNG bytes with resvg; `scale` multiplies the SVG's size (default 1). */
export function svgToPng(svg: string, options: { scale?: number } = {}): Buffer {
  const scale = options.scale ?? 1;
  if (!(scale > 0)) throw new Error(`svgToPng: scale must be positive, got ${scale}`);
  const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const resvg = new Resvg(svg, { font: bundledFont(), fitTo: { mode: 'zoom', value: scale }, background: 'white' });
  return resvg.render().asPng();
}

/**
 * Write a plot atomically: `.svg` files get the SVG as is, `.png` files the
 * rasterised picture (at `scale`, default 1). Any other extension throws.
 */
export function writePlot(file: string, svg: string, options: { scale?: number } = {}): void {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.svg') writeFileAtomic(file, svg);
  else if (ext === '.png') writeFileAtomic(file, svgToPng(svg, options));
  else throw new Error(`writePlot: cannot write "${file}": use a .png or .svg file name`);
}
