/** Which part of a dataset. */
export const SPLITS = ['train', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/**
 * An in-memory image dataset: `n` examples of `height × width × channels`
 * pixels scaled to [0, 1], stored row-major (`[i * dim + p]`, dim =
 * height·width·channels) in `pixels`.
 */
export interface Dataset {
  /** Dataset name as the user typed it (`mnist`, `sprites`, `idx:/path`). */
  name: string;
  split: Split;
  n: number;
  /** [height, width, channels]. */
  shape: [number, number, number];
  /** The values; read them as float32 through pixels.ts (examplePixels, gatherRows, pixelRange). */
  pixels: PixelStore;
  /** Class label per example (integer). */
  labels: Int32Array;
  /** Number of distinct classes the labels range over (labels are 0..numClasses-1). */
  numClasses: number;
  /** Human-readable class names, when known. */
  classNames?: string[];
  /** Extra per-example ground-truth factors (sprites: shape, scale, rotation, x, y). */
  factors?: { names: string[]; values: Float32Array };
  /**
   * Present for tabular data (`csv:PATH`): each row is a 1 × d × 1 "image" of
   * d feature columns. `pixels` then holds float32 *scaled* values (see `scaler`),
   * not pixels in [0, 1]; missing entries hold the scaled training mean.
   */
  table?: TableInfo;
  /** Each example's file, relative to the dataset's folder (image folders, CelebA): outputs name examples by it. */
  sources?: string[];
}

/**
 * A dataset's values, row-major. Images keep one byte per value (`uint8`:
 * value = byte / 255); tables and float arrays keep `float32`.
 */
export type PixelStore = { kind: 'uint8'; data: Uint8Array } | { kind: 'float32'; data: Float32Array };

/** Per-column affine scaling fitted on training data: scaled = (raw − offset) / scale. */
export interface Scaler {
  kind: 'standard' | 'minmax';
  /** Training mean (standard) or minimum (minmax), per feature column. */
  offset: number[];
  /** Training standard deviation (standard) or range (minmax), per feature column; never 0. */
  scale: number[];
  /** Training mean per feature column in raw units (what mean imputation fills in). */
  mean: number[];
}

export interface TableInfo {
  /** Feature column names, in order. */
  columns: string[];
  /** Column the labels came from, if any. */
  labelColumn?: string;
  /** 1 where the file had no value (empty cell or NaN), row-major like `pixels`. */
  missing: Uint8Array;
  scaler: Scaler;
  /** 1-based line number in the file of each row (for messages and output ids). */
  lines?: Int32Array;
}

export function featureSize(ds: Pick<Dataset, 'shape'>): number {
  return ds.shape[0] * ds.shape[1] * ds.shape[2];
}
