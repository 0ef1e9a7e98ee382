/**
 * The built-in `sprites` dataset: one white shape on a black 28×28 canvas,
 * generated in code from a seed, with every generative factor known
 * (shape, scale, rotation, x, y), in the spirit of dSprites. Useful to check
 * whether a model's latent code picks up the true factors, with no download.
 *
 * Coordinates: pixel (row i, column j) covers [j, j+1] × [i, i+1], so the
 * canvas spans [0, 28] on both axes and its centre is (14, 14). `x` and `y`
 * are the centre of mass of the shape, so the intensity-weighted centroid of
 * a rendered sprite is (x, y) up to antialiasing error.
 */
import { UsageError } from '../errors.js';
import type { Dataset, Split } from './types.js';
import { deriveSeed, mulberry32 } from './random.js';
import { bytePixels, quantizePixels } from './pixels.js';

/** Class names, in label order. */
export const SPRITE_SHAPES = ['square', 'ellipse', 'triangle', 'heart'] as const;
export type SpriteShape = (typeof SPRITE_SHAPES)[number];

/** Canvas side in pixels. */
export const SPRITE_SIZE = 28;
/** Names of the columns of `Dataset.factors` for sprites. */
export const SPRITE_FACTORS = ['shape', 'scale', 'rotation', 'x', 'y'] as const;
/** Examples per split when no size is given. */
export const SPRITES_DEFAULT_SIZE: Record<Split, number> = { train: 12000, test: 2000 };

/** Radius in pixels of the disk holding a shape at scale 1. */
const MAX_RADIUS = 9;
/** Factor ranges: scale in [0.5, 1], centre in [10, 18], so every shape stays inside the canvas. */
const SCALE_RANGE: [number, number] = [0.5, 1];
const CENTER_RANGE: [number, number] = [10, 18];
/** Sub-samples per pixel side (4×4 = 16 grey levels of antialiasing). */
const SUPERSAMPLE = 4;

/** One sprite's generative factors. `rotation` in radians, `x`/`y` in pixels (see module doc). */
export interface SpriteParams {
  shape: number;
  scale: number;
  rotation: number;
  x: number;
  y: number;
}

/** Heart curve (X²+Y²−1)³ − X²Y³ ≤ 0, Y pointing up. */
function rawHeart(X: number, Y: number): boolean {
  const a = X * X + Y * Y - 1;
  return a * a * a - X * X * Y * Y * Y <= 0;
}

/**
 * The heart is not centred on its centre of mass, so measure that centroid
 * (and the farthest point from it) once on a fine grid, to re-centre and
 * shrink it into the unit disk.
 */
function measureHeart(): { cy: number; radius: number } {
  const steps = 400;
  const grid = Array.from({ length: steps }, (_, k) => -1.5 + (3 * (k + 0.5)) / steps);
  const inside = grid.flatMap((Y) => grid.filter((X) => rawHeart(X, Y)).map((X) => [X, Y] as const));
  const cy = inside.reduce((s, [, Y]) => s + Y, 0) / inside.length;
  const radius = inside.reduce((m, [X, Y]) => Math.max(m, Math.hypot(X, Y - cy)), 0);
  return { cy, radius };
}

let heart: { cy: number; radius: number } | undefined;
const SIN60 = Math.sqrt(3) / 2;

/**
 * Whether the point (u, v) of the shape's own frame (v pointing down) is
 * inside unit shape number `shape` (index into SPRITE_SHAPES). Every unit
 * shape fits in the unit disk with its centroid at the origin. One switch
 * rather than a closure per shape keeps this hot call monomorphic
 * (about twice as fast).
 */
export function insideUnit(shape: number, u: number, v: number): boolean {
  switch (shape) {
    case 0: // square, half-side 0.7
      return Math.abs(u) <= 0.7 && Math.abs(v) <= 0.7;
    case 1: // ellipse, semi-axes 0.95 and 0.6, so rotation is visible
      return (u * u) / 0.9025 + (v * v) / 0.36 <= 1;
    case 2: // equilateral triangle, circumradius 1 (inradius 0.5), apex up
      return v <= 0.5 && -SIN60 * u - 0.5 * v <= 0.5 && SIN60 * u - 0.5 * v <= 0.5;
    default: // heart
      heart ??= measureHeart();
      return rawHeart(u * heart.radius, -v * heart.radius + heart.cy);
  }
}

/** Fraction of the pixel at (row, col) covered by the shape, by supersampling. */
function coverage(p: SpriteParams, row: number, col: number, cos: number, sin: number, r: number): number {
  let hits = 0;
  for (let a = 0; a < SUPERSAMPLE; a++) {
    const dy = row + (a + 0.5) / SUPERSAMPLE - p.y;
    for (let b = 0; b < SUPERSAMPLE; b++) {
      const dx = col + (b + 0.5) / SUPERSAMPLE - p.x;
      // Every unit shape lies inside the unit disk: cheap early rejection.
      if (dx * dx + dy * dy > r * r) continue;
      // Rotate the sample point by −rotation to land in the shape's own frame.
      if (insideUnit(p.shape, (dx * cos + dy * sin) / r, (-dx * sin + dy * cos) / r)) hits++;
    }
  }
  return hits / (SUPERSAMPLE * SUPERSAMPLE);
}

/**
 * Draw one sprite into `out` (28×28 grey values in [0, 1], row-major) starting
 * at `offset`; pixels outside the shape's bounding disk are left untouched
 * (zero in a fresh array).
 */
export function renderSprite(p: SpriteParams, out: Float32Array = new Float32Array(SPRITE_SIZE * SPRITE_SIZE), offset = 0): Float32Array {
  if (SPRITE_SHAPES[p.shape] === undefined) throw new RangeError(`renderSprite: no shape ${p.shape}`);
  const r = p.scale * MAX_RADIUS;
  const cos = Math.cos(p.rotation);
  const sin = Math.sin(p.rotation);
  // Only pixels overlapping the shape's bounding disk (radius r around the centre) need sampling.
  const lo = (c: number): number => Math.max(0, Math.floor(c - r));
  const hi = (c: number): number => Math.min(SPRITE_SIZE - 1, Math.floor(c + r));
  for (let row = lo(p.y); row <= hi(p.y); row++) {
    for (let col = lo(p.x); col <= hi(p.x); col++) {
      out[offset + row * SPRITE_SIZE + col] = coverage(p, row, col, cos, sin, r);
    }
  }
  return out;
}

function lerp([a, b]: [number, number], t: number): number {
  return a + (b - a) * t;
}

/** Draw one example's factors; always exactly five draws, so a prefix of a larger set equals a smaller set. */
function drawParams(rand: () => number): SpriteParams {
  return {
    shape: Math.floor(rand() * SPRITE_SHAPES.length),
    scale: lerp(SCALE_RANGE, rand()),
    rotation: 2 * Math.PI * rand(),
    x: lerp(CENTER_RANGE, rand()),
    y: lerp(CENTER_RANGE, rand()),
  };
}

/** Options of {@link generateSprites}. */
export interface SpritesOptions {
  split: Split;
  /** Number of examples; default 12000 (train) or 2000 (test). */
  n?: number;
  /** Base seed (default 0); each split derives its own stream from it. */
  seed?: number;
}

/**
 * Generate the `sprites` dataset deterministically: the same options give
 * byte-identical images, labels and factors. Labels are shape indices into
 * {@link SPRITE_SHAPES}; `factors.values` holds, per example, the row
 * [shape, scale, rotation, x, y].
 */
export function generateSprites(options: SpritesOptions): Dataset {
  const n = options.n ?? SPRITES_DEFAULT_SIZE[options.split];
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`sprites: the number of examples must be a positive integer (got ${n})`);
  const rand = mulberry32(deriveSeed(options.seed ?? 0, options.split === 'train' ? 0 : 1));
  const dim = SPRITE_SIZE * SPRITE_SIZE;
  // Drawn in floats one sprite at a time, kept as bytes like any image.
  const images = new Uint8Array(n * dim);
  const picture = new Float32Array(dim);
  const labels = new Int32Array(n);
  const values = new Float32Array(n * SPRITE_FACTORS.length);
  for (let i = 0; i < n; i++) {
    const p = drawParams(rand);
    quantizePixels(renderSprite(p, picture.fill(0)), images, i * dim);
    labels[i] = p.shape;
    values.set([p.shape, p.scale, p.rotation, p.x, p.y], i * SPRITE_FACTORS.length);
  }
  return {
    name: 'sprites',
    split: options.split,
    n,
    shape: [SPRITE_SIZE, SPRITE_SIZE, 1],
    pixels: bytePixels(images),
    labels,
    numClasses: SPRITE_SHAPES.length,
    classNames: [...SPRITE_SHAPES],
    factors: { names: [...SPRITE_FACTORS], values },
  };
}
