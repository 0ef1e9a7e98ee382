import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { generateSprites, renderSprite, SPRITE_SHAPES, SPRITE_SIZE, type SpriteParams } from './sprites.js';
import { examplePixels, pixelRange } from './pixels.js';

const S = SPRITE_SIZE;

function bytesOf(a: Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Intensity-weighted moments of one 28×28 image, in the module's coordinates (pixel centres at j + 0.5). */
function moments(img: Float32Array): { mass: number; cx: number; cy: number; orientation: number } {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      const v = img[i * S + j]!;
      mass += v;
      sx += v * (j + 0.5);
      sy += v * (i + 0.5);
    }
  }
  const cx = sx / mass;
  const cy = sy / mass;
  let m20 = 0;
  let m02 = 0;
  let m11 = 0;
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      const v = img[i * S + j]!;
      const dx = j + 0.5 - cx;
      const dy = i + 0.5 - cy;
      m20 += v * dx * dx;
      m02 += v * dy * dy;
      m11 += v * dx * dy;
    }
  }
  return { mass, cx, cy, orientation: 0.5 * Math.atan2(2 * m11, m20 - m02) };
}

function example(ds: ReturnType<typeof generateSprites>, i: number): { img: Float32Array; p: SpriteParams } {
  const v = ds.factors!.values.subarray(i * 5, i * 5 + 5);
  return { img: examplePixels(ds, i), p: { shape: v[0]!, scale: v[1]!, rotation: v[2]!, x: v[3]!, y: v[4]! } };
}

describe('sprites', () => {
  it('is deterministic: the same seed gives identical bytes', () => {
    const a = generateSprites({ split: 'train', n: 300, seed: 7 });
    const b = generateSprites({ split: 'train', n: 300, seed: 7 });
    expect(bytesOf(pixelRange(a)).equals(bytesOf(pixelRange(b)))).toBe(true);
    expect(bytesOf(a.labels).equals(bytesOf(b.labels))).toBe(true);
    expect(bytesOf(a.factors!.values).equals(bytesOf(b.factors!.values))).toBe(true);
  });

  it('gives different data for another seed and for the other split', () => {
    const a = generateSprites({ split: 'train', n: 50, seed: 7 });
    expect(bytesOf(pixelRange(generateSprites({ split: 'train', n: 50, seed: 8 }))).equals(bytesOf(pixelRange(a)))).toBe(false);
    expect(bytesOf(pixelRange(generateSprites({ split: 'test', n: 50, seed: 7 }))).equals(bytesOf(pixelRange(a)))).toBe(false);
  });

  it('has a smaller set equal to the prefix of a larger one', () => {
    const small = generateSprites({ split: 'test', n: 40 });
    const big = generateSprites({ split: 'test', n: 120 });
    expect(bytesOf(pixelRange(small)).equals(bytesOf(pixelRange(big).subarray(0, pixelRange(small).length)))).toBe(true);
  });

  it('defaults to 12000 train and 2000 test examples, with every shape present', () => {
    const train = generateSprites({ split: 'train' });
    const test = generateSprites({ split: 'test' });
    expect(train.n).toBe(12000);
    expect(test.n).toBe(2000);
    expect(train.shape).toEqual([28, 28, 1]);
    expect(train.pixels.data.byteLength).toBe(12000 * 784); // one byte per pixel
    expect(train.numClasses).toBe(SPRITE_SHAPES.length);
    expect(train.classNames).toEqual(['square', 'ellipse', 'triangle', 'heart']);
    expect(train.factors!.names).toEqual(['shape', 'scale', 'rotation', 'x', 'y']);
    const counts = new Array<number>(SPRITE_SHAPES.length).fill(0);
    for (const l of train.labels) counts[l]! += 1;
    // Uniform shapes: each class near a quarter of 12000.
    for (const c of counts) expect(c).toBeGreaterThan(2700);
  });

  it('matches its factors: label = shape, centroid ≈ (x, y), pixels in [0, 1], empty border', () => {
    const ds = generateSprites({ split: 'train', n: 400, seed: 3 });
    for (let i = 0; i < ds.n; i++) {
      const { img, p } = example(ds, i);
      expect(ds.labels[i]).toBe(p.shape);
      const m = moments(img);
      expect(Math.abs(m.cx - p.x)).toBeLessThan(0.2);
      expect(Math.abs(m.cy - p.y)).toBeLessThan(0.2);
      let border = 0;
      for (let k = 0; k < S; k++) border += img[k]! + img[k * S]! + img[(S - 1) * S + k]! + img[k * S + S - 1]!;
      expect(border).toBe(0);
    }
    expect(pixelRange(ds).reduce((a, b) => Math.min(a, b), Infinity)).toBe(0);
    expect(pixelRange(ds).reduce((a, b) => Math.max(a, b), -Infinity)).toBe(1);
  });

  it('is antialiased: edge pixels take intermediate grey levels', () => {
    const img = renderSprite({ shape: 1, scale: 1, rotation: 0.3, x: 14, y: 14 });
    expect(img.some((v) => v > 0 && v < 1)).toBe(true);
  });

  it('grows its lit area with the square of the scale, for every shape', () => {
    for (let shape = 0; shape < SPRITE_SHAPES.length; shape++) {
      const area = (scale: number): number => renderSprite({ shape, scale, rotation: 0.4, x: 14, y: 14 }).reduce((a, b) => a + b, 0);
      expect(area(0.75)).toBeGreaterThan(area(0.5));
      expect(area(1)).toBeGreaterThan(area(0.75));
      expect(area(1) / area(0.5)).toBeCloseTo(4, 0);
    }
  });

  it('turns the ellipse with its rotation factor', () => {
    for (const rotation of [0, 0.5, 1.2, 2, 2.8, 4]) {
      const m = moments(renderSprite({ shape: 1, scale: 1, rotation, x: 14, y: 14 }));
      // Orientation is defined modulo π.
      const diff = Math.abs(((m.orientation - rotation) % Math.PI + 1.5 * Math.PI) % Math.PI - Math.PI / 2);
      expect(diff).toBeLessThan(0.05);
    }
  });

  it('refuses a bad size or shape', () => {
    expect(() => generateSprites({ split: 'train', n: 0 })).toThrow(UsageError);
    expect(() => generateSprites({ split: 'train', n: 2.5 })).toThrow(UsageError);
    expect(() => renderSprite({ shape: 9, scale: 1, rotation: 0, x: 14, y: 14 })).toThrow(RangeError);
  });
});
