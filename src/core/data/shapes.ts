/**
 * The built-in `shapes` dataset: one coloured shape on a coloured background,
 * 64×64 RGB (or `shapes:N` for N×N), generated in code from a seed, with
 * every generative factor known, in the spirit of dSprites and 3D Shapes.
 * The colour counterpart of `sprites`, with no download.
 *
 * The shapes are the sprites' (square, ellipse, triangle, heart), so each
 * shape's centre of mass is its centre (x, y). Coordinates are fractions of
 * the canvas side: (0, 0) is the top-left corner, (1, 1) the bottom-right,
 * so the same factors describe the same picture at every size.
 *
 * Colours are HSV: the object is saturated and bright (S 0.9, V 1), the
 * background muted and darker (S 0.6, V 0.45), so an object stands out even
 * when both hues are equal.
 */
import { FieldError, UsageError } from '../errors.js';
import { deriveSeed, mulberry32 } from './random.js';
import { insideUnit, SPRITE_SHAPES } from './sprites.js';
import type { Dataset, Split } from './types.js';
import { bytePixels, quantizePixels } from './pixels.js';

/** Class names, in label order (the sprites' shapes). */
export const SHAPE_NAMES = SPRITE_SHAPES;
/** Canvas side in pixels when the name gives none. */
export const SHAPES_SIZE = 64;
/** Smallest and largest canvas side `shapes:N` accepts. */
export const SHAPES_SIZE_RANGE: readonly [number, number] = [8, 256];
/** Names of the columns of `Dataset.factors` for shapes. */
export const SHAPES_FACTORS = ['shape', 'object_hue', 'background_hue', 'scale', 'rotation', 'x', 'y'] as const;
/** Examples per split when no limit is given (64×64×3 floats: 48 KiB an image). */
export const SHAPES_DEFAULT_SIZE: Record<Split, number> = { train: 6000, test: 1000 };

/** Saturation and value of the object's and the background's colours. */
export const OBJECT_SV: readonly [number, number] = [0.9, 1];
export const BACKGROUND_SV: readonly [number, number] = [0.6, 0.45];
/** Radius of the disk holding a shape at scale 1, as a fraction of the side (the sprites' 9 of 28). */
const MAX_RADIUS = 9 / 28;
const SCALE_RANGE: [number, number] = [0.5, 1];
/** Centres in [10/28, 18/28] of the side, so every shape stays inside the canvas. */
const CENTER_RANGE: [number, number] = [10 / 28, 18 / 28];
/** Sub-samples per pixel side (2×2: 5 levels of antialiasing, enough at 64×64 and four times cheaper than sprites' 4×4). */
const SUPERSAMPLE = 2;

/** One picture's generative factors: hues in [0, 1), rotation in radians, x/y as fractions of the side. */
export interface ShapeParams {
  shape: number;
  objectHue: number;
  backgroundHue: number;
  scale: number;
  rotation: number;
  x: number;
  y: number;
}

/** HSV (each in [0, 1], hue wrapping) to RGB in [0, 1]. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const sector = (((h % 1) + 1) % 1) * 6;
  const i = Math.floor(sector);
  const f = sector - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  const table: [number, number, number][] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ];
  return table[i % 6]!;
}

/** Fraction of pixel (row, col) covered by the shape, by supersampling; lengths in pixels. */
function coverage(shape: number, row: number, col: number, cx: number, cy: number, r: number, cos: number, sin: number): number {
  let hits = 0;
  for (let a = 0; a < SUPERSAMPLE; a++) {
    const dy = row + (a + 0.5) / SUPERSAMPLE - cy;
    for (let b = 0; b < SUPERSAMPLE; b++) {
      const dx = col + (b + 0.5) / SUPERSAMPLE - cx;
      if (dx * dx + dy * dy > r * r) continue;
      // Rotate by −rotation into the shape's own frame, in units of its radius.
      if (insideUnit(shape, (dx * cos + dy * sin) / r, (-dx * sin + dy * cos) / r)) hits++;
    }
  }
  return hits / (SUPERSAMPLE * SUPERSAMPLE);
}

/**
 * Draw one picture into `out` (size×size×3 RGB in [0, 1], row-major,
 * channels last) starting at `offset`: the background everywhere, blended
 * towards the object's colour by each pixel's coverage.
 */
export function renderShape(p: ShapeParams, size = SHAPES_SIZE, out: Float32Array = new Float32Array(size * size * 3), offset = 0): Float32Array {
  if (SHAPE_NAMES[p.shape] === undefined) throw new RangeError(`renderShape: no shape ${p.shape}`);
  const object = hsvToRgb(p.objectHue, ...OBJECT_SV);
  const background = hsvToRgb(p.backgroundHue, ...BACKGROUND_SV);
  const [br, bg, bb] = background;
  for (let at = offset; at < offset + 3 * size * size; at += 3) {
    out[at] = br;
    out[at + 1] = bg;
    out[at + 2] = bb;
  }
  const r = p.scale * MAX_RADIUS * size;
  const cx = p.x * size;
  const cy = p.y * size;
  const cos = Math.cos(p.rotation);
  const sin = Math.sin(p.rotation);
  // Only pixels overlapping the shape's bounding disk need sampling.
  const lo = (c: number): number => Math.max(0, Math.floor(c - r));
  const hi = (c: number): number => Math.min(size - 1, Math.floor(c + r));
  for (let row = lo(cy); row <= hi(cy); row++) {
    for (let col = lo(cx); col <= hi(cx); col++) {
      const cover = coverage(p.shape, row, col, cx, cy, r, cos, sin);
      if (cover === 0) continue;
      const at = offset + 3 * (row * size + col);
      for (let k = 0; k < 3; k++) out[at + k] = background[k]! + cover * (object[k]! - background[k]!);
    }
  }
  return out;
}

function lerp([a, b]: [number, number], t: number): number {
  return a + (b - a) * t;
}

/** One example's factors; always exactly seven draws, so a prefix of a larger set equals a smaller set. */
function drawParams(rand: () => number): ShapeParams {
  return {
    shape: Math.floor(rand() * SHAPE_NAMES.length),
    objectHue: rand(),
    backgroundHue: rand(),
    scale: lerp(SCALE_RANGE, rand()),
    rotation: 2 * Math.PI * rand(),
    x: lerp(CENTER_RANGE, rand()),
    y: lerp(CENTER_RANGE, rand()),
  };
}

/** Options of {@link generateShapes}. */
export interface ShapesOptions {
  split: Split;
  /** Number of examples; default 6000 (train) or 1000 (test). */
  n?: number;
  /** Base seed (default 0); each split derives its own stream from it. */
  seed?: number;
  /** Canvas side in pixels (default 64). */
  size?: number;
}

function checkSize(size: number): void {
  const [min, max] = SHAPES_SIZE_RANGE;
  if (!Number.isInteger(size) || size < min || size > max) throw new FieldError('dataset', `shapes:N needs a side N from ${min} to ${max}, got ${size}`);
}

/**
 * The canvas side a dataset name asks for: `shapes` is 64, `shapes:32` is
 * 32; undefined for other names.
 *
 * @throws FieldError (dataset) for `shapes:` with a side that is not an integer in range
 */
export function shapesSize(name: string): number | undefined {
  if (name === 'shapes') return SHAPES_SIZE;
  if (!name.startsWith('shapes:')) return undefined;
  const text = name.slice('shapes:'.length);
  const size = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  checkSize(size);
  return size;
}

/**
 * Generate the `shapes` dataset deterministically: the same options give
 * byte-identical images, labels and factors, and the factors do not depend
 * on the size. Labels are shape indices into {@link SHAPE_NAMES};
 * `factors.values` holds, per example, the row
 * [shape, object_hue, background_hue, scale, rotation, x, y].
 */
export function generateShapes(options: ShapesOptions): Dataset {
  const n = options.n ?? SHAPES_DEFAULT_SIZE[options.split];
  const size = options.size ?? SHAPES_SIZE;
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`shapes: the number of examples must be a positive integer (got ${n})`);
  checkSize(size);
  // Streams 2 and 3: unrelated to the sprites' factors from the same seed.
  const rand = mulberry32(deriveSeed(options.seed ?? 0, options.split === 'train' ? 2 : 3));
  const dim = size * size * 3;
  // Drawn in floats one picture at a time, kept as bytes like any image.
  const images = new Uint8Array(n * dim);
  const picture = new Float32Array(dim);
  const labels = new Int32Array(n);
  const values = new Float32Array(n * SHAPES_FACTORS.length);
  for (let i = 0; i < n; i++) {
    const p = drawParams(rand);
    quantizePixels(renderShape(p, size, picture), images, i * dim);
    labels[i] = p.shape;
    values.set([p.shape, p.objectHue, p.backgroundHue, p.scale, p.rotation, p.x, p.y], i * SHAPES_FACTORS.length);
  }
  return {
    name: size === SHAPES_SIZE ? 'shapes' : `shapes:${size}`,
    split: options.split,
    n,
    shape: [size, size, 3],
    pixels: bytePixels(images),
    labels,
    numClasses: SHAPE_NAMES.length,
    classNames: [...SHAPE_NAMES],
    factors: { names: [...SHAPES_FACTORS], values },
  };
}
