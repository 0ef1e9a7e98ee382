/** Figures of a trained model: latent scatters, manifold, samples, reconstructions, curves, and the HTML report. */
export { inverseNormalCdf } from './normal.js';
export { interpolationPath, lerp, slerp, type PathKind } from './paths.js';
export { encodeCodes, subsampleRows } from './codes.js';
export { MAX_POINTS, projectTo2d, type Projected, type Projection, type ProjectOptions } from './projection.js';
export { latentScatter, pcaVsAeFigure, type Figure, type LatentScatterOptions, type PcaVsAeOptions } from './latent.js';
export {
  checkLabel,
  decodingLabels,
  fitCodeGaussian,
  manifoldCodes,
  manifoldImage,
  priorCodes,
  modelPriorCodes,
  reconstructImages,
  reconstructionsImage,
  sampleImages,
  samplesImage,
  type LatentGaussian,
  type ManifoldOptions,
  type SampleOptions,
} from './images.js';
export { curvesPlot, lossTerms, type CurvesOptions, type MetricsRow } from './curves.js';
export { buildReport, flattenConfig, metricsTable, type ReportOptions, type ReportRun } from './report.js';
export { escapeHtml } from './html.js';
