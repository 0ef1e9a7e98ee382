/** Figures of a trained model: latent scatters, manifold, interpolations, curves, samples, reconstructions, and the HTML report. */
export { inverseNormalCdf } from './normal.js';
export { interpolationPath, lerp, slerp, type PathKind } from './paths.js';
export { encodeCodes, subsampleRows } from './codes.js';
export { MAX_POINTS, projectTo2d, type Projected, type Projection, type ProjectOptions } from './projection.js';
export { latentScatter, pcaVsAeFigure, type Figure, type LatentScatterOptions, type PcaVsAeOptions } from './latent.js';
export {
  decodeCodes,
  fitCodeGaussian,
  interpolationImage,
  manifoldCodes,
  manifoldImage,
  reconstructionsImage,
  samplesImage,
  type InterpolationOptions,
  type LatentGaussian,
  type ManifoldOptions,
  type SamplesOptions,
} from './images.js';
export { curvesPlot, lossTerms, type CurvesOptions, type MetricsRow } from './curves.js';
export { buildReport, flattenConfig, metricsTable, type ReportOptions, type ReportRun } from './report.js';
export { escapeHtml } from './html.js';
