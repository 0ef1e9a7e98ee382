/** Evaluation metrics on plain typed arrays: likelihood helpers, image quality, latent-space diagnostics and probes. */
export type { Floats, Labels } from './shape.js';
export { logSumExp, logMeanExp, StreamingLogSumExp } from './logsumexp.js';
export { mse, psnr, batchPsnr, ssim, batchSsim, type BatchMetric, type BatchPsnr, type BatchPsnrOptions, type SsimOptions } from './image.js';
export { activeUnits, type ActiveUnits } from './activeUnits.js';
export { fitPca, type Pca } from './pca.js';
export {
  knnPredict,
  knnAccuracy,
  softmaxCrossEntropy,
  trainLogisticRegression,
  logisticRegressionAccuracy,
  type KnnOptions,
  type LogisticRegressionOptions,
  type LogisticRegressionModel,
} from './probes.js';
export { rocAuc, averagePrecision } from './auc.js';
export {
  mig,
  sap,
  dci,
  dciFromImportance,
  disentanglementScores,
  histogramDiscretize,
  discretizeFactor,
  mutualInformation,
  discreteEntropy,
  DISENTANGLEMENT_BINS,
  DISENTANGLEMENT_MAX_EXAMPLES,
  type DisentanglementScores,
  type MigResult,
  type SapResult,
  type DciResult,
  type DciScores,
  type DiscreteFactor,
} from './disentanglement.js';
