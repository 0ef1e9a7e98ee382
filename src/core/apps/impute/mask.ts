/**
 * Which entries are missing: a `--mask` given as a fraction (hidden at random,
 * the same number in every row) or as a mask image (white = missing).
 * Masks are Uint8Arrays, 1 = missing, row-major like a dataset's `images`.
 */
import { FieldError, UsageError } from '../../errors.js';
import { Rng } from '../../random.js';

export type MaskSpec = { kind: 'fraction'; fraction: number } | { kind: 'file'; file: string };

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** A mask given as `0.3` (a fraction) or `mask.png` (an image file). A number must lie strictly between 0 and 1. */
export function parseMask(value: string): MaskSpec {
  const text = value.trim();
  if (text === '') throw new FieldError('mask', 'must be a fraction in (0, 1) or a PNG mask image, got an empty value');
  if (NUMBER.test(text)) {
    const fraction = Number(text);
    if (!(fraction > 0 && fraction < 1)) throw new FieldError('mask', `${value}: the hidden fraction must be > 0 and < 1`);
    return { kind: 'fraction', fraction };
  }
  return { kind: 'file', file: value };
}

/** Rows [start, end) of a mask, [end − start, dim], 1 = hide; asked for in order from row 0. */
export type MaskRows = (start: number, end: number) => Uint8Array;

/**
 * Hide exactly round(fraction·pixels) pixels of each row of `dim` values,
 * chosen uniformly at random (a partial Fisher–Yates shuffle per row) from
 * `seed`, drawn as the rows are asked for, so a whole split's mask is never
 * held at once. A pixel is `channels` consecutive values, hidden together: a
 * colour pixel is missing whole, not one of its channels.
 */
export function randomMaskRows(dim: number, fraction: number, seed: number, channels = 1): MaskRows {
  const pixels = dim / channels;
  const k = Math.round(fraction * pixels);
  if (k < 1) throw new FieldError('mask', `${fraction} hides no entry of rows with ${pixels} ${channels === 1 ? 'values' : 'pixels'}; use a larger fraction`);
  const rng = new Rng(seed);
  const order = new Int32Array(pixels);
  let next = 0;
  return (start, end) => {
    // The draws of row r depend on every earlier row's, so rows come in order.
    if (start !== next) throw new RangeError(`randomMaskRows: rows asked for from ${start}, expected ${next}`);
    next = end;
    const mask = new Uint8Array((end - start) * dim);
    for (let row = 0; row < end - start; row++) {
      for (let j = 0; j < pixels; j++) order[j] = j;
      for (let j = 0; j < k; j++) {
        const pick = j + Math.floor(rng.next() * (pixels - j));
        const chosen = order[pick]!;
        order[pick] = order[j]!;
        order[j] = chosen;
        mask.fill(1, row * dim + chosen * channels, row * dim + (chosen + 1) * channels);
      }
    }
    return mask;
  };
}

/** {@link randomMaskRows} for all `n` rows at once. */
export function randomMask(n: number, dim: number, fraction: number, seed: number, channels = 1): Uint8Array {
  return randomMaskRows(dim, fraction, seed, channels)(0, n);
}

/**
 * The pixels to treat as missing from a mask image of the model's size
 * (`pixels`, [h, w, c] in [0, 1]; `file` names it in messages): white (mean
 * grey level ≥ 0.5) = missing. One row of h·w·c entries, the same for every example.
 */
export function imageMask(pixels: Float32Array, file: string, shape: readonly [number, number, number]): Uint8Array {
  const [h, w, c] = shape;
  const mask = new Uint8Array(h * w * c);
  for (let p = 0; p < h * w; p++) {
    let sum = 0;
    for (let k = 0; k < c; k++) sum += pixels[p * c + k];
    if (sum / c >= 0.5) mask.fill(1, p * c, (p + 1) * c);
  }
  const hidden = mask.reduce((s, v) => s + v, 0);
  if (hidden === 0) throw new UsageError(`mask image ${file} has no white pixels: nothing to impute`);
  if (hidden === mask.length) throw new UsageError(`mask image ${file} is white everywhere: nothing is observed`);
  return mask;
}

/** A one-row mask repeated for `n` rows. */
export function repeatMask(row: Uint8Array, n: number): Uint8Array {
  const mask = new Uint8Array(n * row.length);
  for (let i = 0; i < n; i++) mask.set(row, i * row.length);
  return mask;
}

/** The same one-row mask for every row, as rows are asked for. */
export function repeatMaskRows(row: Uint8Array): MaskRows {
  return (start, end) => repeatMask(row, end - start);
}

/** A mask held whole ([n, dim]) as rows. */
export function maskRowsOf(mask: Uint8Array, dim: number): MaskRows {
  return (start, end) => mask.subarray(start * dim, end * dim);
}
