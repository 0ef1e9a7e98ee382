/**
 * PCA of a dataset's values, fitted where they are stored: images are read as
 * their bytes with a scale of 1/255 (so a colour split costs no float copy),
 * tables as their floats; codes (and reconstruction errors) go a batch at a time.
 */
import { forEachRowBatch } from '../data/batches.js';
import { featureSize, type Dataset } from '../data/types.js';
import { ErrorSums } from './metrics/image.js';
import { fitPca, type Pca, type PcaOptions } from './metrics/pca.js';

/** k-component PCA of every example of `ds` (the same fit as on its float rows). */
export function fitDatasetPca(ds: Dataset, k: number, options: Omit<PcaOptions, 'scale'> = {}): Pca {
  const scale = ds.pixels.kind === 'uint8' ? 1 / 255 : 1;
  return fitPca(ds.pixels.data, ds.n, featureSize(ds), k, { ...options, scale });
}

/**
 * PCA codes [n, k] of every example of `ds`, a batch at a time; with `errors`,
 * the reconstructions' errors are added to it on the way.
 */
export function datasetPcaCodes(pca: Pca, ds: Dataset, batchSize = 500, errors?: ErrorSums): Float32Array {
  const codes = new Float32Array(ds.n * pca.k);
  forEachRowBatch(ds, batchSize, (x, _, start, end) => {
    const batch = Float32Array.from(pca.project(x, end - start));
    codes.set(batch, start * pca.k);
    errors?.add(Float32Array.from(pca.reconstruct(batch, end - start)), x);
  });
  return codes;
}
