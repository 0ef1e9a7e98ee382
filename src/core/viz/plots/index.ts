export { CATEGORY_COLORS, categoryColor, toHex, type Rgb } from './palette.js';
export { PLOT_FONT, renderSvg, type PlotFrame, type PlotSpec } from './render.js';
export { scatterPlot, scatterSpec, type ScatterOptions } from './scatter.js';
export { linePlot, lineSpec, type LineOptions, type LineSeries } from './line.js';
export { sideBySide } from './concat.js';
