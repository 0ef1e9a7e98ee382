/** Which part of a dataset. */
export type Split = 'train' | 'test';

/**
 * An in-memory image dataset: `n` examples of `height × width × channels`
 * pixels scaled to [0, 1], stored row-major as one Float32Array
 * (`images[i * dim + p]`, dim = height·width·channels).
 */
export interface Dataset {
  /** Dataset name as the user typed it (`mnist`, `sprites`, `idx:/path`). */
  name: string;
  split: Split;
  n: number;
  /** [height, width, channels]. */
  shape: [number, number, number];
  images: Float32Array;
  /** Class label per example (integer). */
  labels: Int32Array;
  /** Number of distinct classes the labels range over (labels are 0..numClasses-1). */
  numClasses: number;
  /** Human-readable class names, when known. */
  classNames?: string[];
  /** Extra per-example ground-truth factors (sprites: shape, scale, rotation, x, y). */
  factors?: { names: string[]; values: Float32Array };
}

export function featureSize(ds: Pick<Dataset, 'shape'>): number {
  return ds.shape[0] * ds.shape[1] * ds.shape[2];
}
