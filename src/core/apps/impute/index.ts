/** `latentkit impute` as a library: fill missing entries by iterative reconstruction and score it. */
export { checkImputeSettings, imputeIteratively, type ImputeOptions, type ImputeResult } from './iterate.js';
export { featureMeans, imputeDataset, meanImpute, rmseWhere, scaledTableMeans, type DatasetImputation, type DatasetImputeOptions, type ImputationScore } from './evaluate.js';
export { imageMask, maskRowsOf, parseMask, randomMask, randomMaskRows, repeatMask, repeatMaskRows, type MaskRows, type MaskSpec } from './mask.js';
