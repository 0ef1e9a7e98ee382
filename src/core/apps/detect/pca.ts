/**
 * The model-free baseline of anomaly detection: the squared reconstruction
 * error of k-component PCA fitted on normal data. A linear autoencoder with k
 * units spans the same subspace, so a learned detector should at least match it.
 */
import { checkShape, type Floats } from '../../eval/metrics/shape.js';
import type { Pca } from '../../eval/metrics/pca.js';

/** Rows of a dataset that the PCA score reads: n × dim values. */
export interface PcaRows {
  x: Floats;
  n: number;
}

/**
 * ‖x − x̂‖² of each row, x̂ its projection on the fitted subspace. The
 * components are orthonormal, so by Pythagoras ‖x − x̂‖² = ‖x − μ‖² − ‖code‖²:
 * one pass over the row per component and no n × dim reconstruction.
 */
export function pcaScores(pca: Pca, { x, n }: PcaRows): Float64Array {
  checkShape('pcaScores', 'x', x, n, pca.dim);
  const { dim, k, mean, components } = pca;
  const scores = new Float64Array(n);
  const centered = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let j = 0; j < dim; j++) {
      centered[j] = x[i * dim + j]! - mean[j]!;
      total += centered[j]! * centered[j]!;
    }
    let kept = 0;
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += centered[j]! * components[c * dim + j]!;
      kept += dot * dot;
    }
    // Rounding can leave a tiny negative residual for points on the subspace.
    scores[i] = Math.max(0, total - kept);
  }
  return scores;
}
