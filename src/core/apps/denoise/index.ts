/** `latentkit denoise` as a library: clean inputs with an autoencoder and measure the gain. */
export { denoiseDataset, denoiseQuality, parseCorrupt, type DenoiseOptions, type DenoiseQuality, type DenoiseResult } from './denoise.js';
export { stackedVersions } from './picture.js';
export { tableRowsCsv } from './table-csv.js';
