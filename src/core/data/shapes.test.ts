import { describe, expect, it } from 'vitest';
import { FieldError } from '../errors.js';
import { loadDataset } from './load.js';
import { BACKGROUND_SV, generateShapes, hsvToRgb, OBJECT_SV, renderShape, SHAPES_FACTORS, shapesSize, type ShapeParams } from './shapes.js';
import { pixelRange } from './pixels.js';

function bytesOf(a: Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

const base: ShapeParams = { shape: 0, objectHue: 0, backgroundHue: 0.5, scale: 1, rotation: 0, x: 0.5, y: 0.5 };

/** Pixels (as [r, g, b] triples) of a size×size×3 image, with whether each is fully object, fully background or mixed. */
function pixels(img: Float32Array): [number, number, number][] {
  return Array.from({ length: img.length / 3 }, (_, q) => [img[3 * q]!, img[3 * q + 1]!, img[3 * q + 2]!]);
}

const near = (a: readonly number[], b: readonly number[], tol = 1e-6) => a.every((v, k) => Math.abs(v - b[k]!) <= tol);

describe('HSV to RGB', () => {
  it('gives the primaries, secondaries, grey and the wrap-around by hand', () => {
    const cases: [number, number, number, number[]][] = [
      [0, 1, 1, [1, 0, 0]],
      [1 / 3, 1, 1, [0, 1, 0]],
      [2 / 3, 1, 1, [0, 0, 1]],
      [1 / 6, 1, 1, [1, 1, 0]],
      [0.5, 0, 0.4, [0.4, 0.4, 0.4]],
      [1.25, 1, 1, [0.5, 1, 0]],
    ];
    for (const [h, s, v, rgb] of cases) expect(near(hsvToRgb(h, s, v), rgb, 1e-12), `${h} ${s} ${v}`).toBe(true);
    // h = 1/12: between red and yellow, green half way: (1, 0.5, 0) at S = V = 1; at S 0.5, V 0.8: (0.8, 0.6, 0.4).
    expect(near(hsvToRgb(1 / 12, 0.5, 0.8), [0.8, 0.6, 0.4], 1e-12)).toBe(true);
  });
});

describe('shapes', () => {
  it('is deterministic, differs by seed and split, and a prefix of a larger set equals a smaller set', () => {
    const a = generateShapes({ split: 'train', n: 40, seed: 3, size: 32 });
    const b = generateShapes({ split: 'train', n: 40, seed: 3, size: 32 });
    expect(bytesOf(pixelRange(a)).equals(bytesOf(pixelRange(b)))).toBe(true);
    expect(bytesOf(a.factors!.values).equals(bytesOf(b.factors!.values))).toBe(true);
    expect(bytesOf(pixelRange(generateShapes({ split: 'train', n: 40, seed: 4, size: 32 }))).equals(bytesOf(pixelRange(a)))).toBe(false);
    expect(bytesOf(pixelRange(generateShapes({ split: 'test', n: 40, seed: 3, size: 32 }))).equals(bytesOf(pixelRange(a)))).toBe(false);
    const big = generateShapes({ split: 'train', n: 100, seed: 3, size: 32 });
    expect(bytesOf(pixelRange(big).subarray(0, pixelRange(a).length)).equals(bytesOf(pixelRange(a)))).toBe(true);
    expect(bytesOf(big.labels.subarray(0, 40)).equals(bytesOf(a.labels))).toBe(true);
    // The factors do not depend on the size.
    expect(bytesOf(generateShapes({ split: 'train', n: 40, seed: 3, size: 16 }).factors!.values).equals(bytesOf(a.factors!.values))).toBe(true);
  });

  it('is 64×64×3 in [0, 1] with labels equal to the shape factor and every factor in its range', () => {
    const ds = generateShapes({ split: 'train', n: 200 });
    expect(ds.shape).toEqual([64, 64, 3]);
    expect(pixelRange(ds).length).toBe(200 * 64 * 64 * 3);
    expect(ds.pixels.data.byteLength).toBe(200 * 64 * 64 * 3); // one byte per pixel
    expect(ds.factors!.names).toEqual([...SHAPES_FACTORS]);
    expect(pixelRange(ds).every((v) => v >= 0 && v <= 1)).toBe(true);
    const k = SHAPES_FACTORS.length;
    const column = (name: string) => Array.from({ length: ds.n }, (_, i) => ds.factors!.values[i * k + SHAPES_FACTORS.indexOf(name as never)]!);
    expect(column('shape')).toEqual(Array.from(ds.labels));
    expect(new Set(ds.labels)).toEqual(new Set([0, 1, 2, 3]));
    const inRange = (name: string, lo: number, hi: number) => expect(column(name).every((v) => v >= lo && v < hi), name).toBe(true);
    inRange('object_hue', 0, 1);
    inRange('background_hue', 0, 1);
    inRange('scale', 0.5, 1);
    inRange('rotation', 0, 2 * Math.PI);
    inRange('x', 10 / 28, 18 / 28);
    inRange('y', 10 / 28, 18 / 28);
    // Spread over the ranges, not stuck in a corner of them.
    expect(Math.max(...column('object_hue')) - Math.min(...column('object_hue'))).toBeGreaterThan(0.9);
  });

  it('paints the object in its hue and the rest in the background hue (HSV converted by hand)', () => {
    // Hue 0.6: h·6 = 3.6, sector i = 3 (cyan to blue), f = 0.6: (p, q, V) with p = V(1 − S), q = V(1 − S f).
    const objectHue = 0.6;
    const [s, v] = OBJECT_SV;
    const expectedObject = [v * (1 - s), v * (1 - s * 0.6), v];
    // Background hue 0.1: i = 0, f = 0.6: (V, t, p) with t = V(1 − S(1 − f)).
    const [bs, bv] = BACKGROUND_SV;
    const expectedBackground = [bv, bv * (1 - bs * 0.4), bv * (1 - bs)];
    const img = renderShape({ ...base, objectHue, backgroundHue: 0.1, scale: 0.8 }, 32);
    const px = pixels(img);
    const inside = px.filter((p) => near(p, expectedObject));
    const outside = px.filter((p) => near(p, expectedBackground));
    // A square of half-side 0.7·0.8·(9/28)·32 ≈ 5.76 px, spanning [10.24, 21.76]: the 11² pixels wholly
    // inside it are object-coloured, and at most 13² (pixels whose sub-samples all fall inside).
    expect(inside.length).toBeGreaterThanOrEqual(121);
    expect(inside.length).toBeLessThanOrEqual(169);
    // Everything else is background, or an edge pixel between the two colours.
    const edges = px.filter((p) => !near(p, expectedObject) && !near(p, expectedBackground));
    expect(outside.length + inside.length + edges.length).toBe(32 * 32);
    expect(edges.length).toBeLessThan(60);
    for (const p of edges) for (let k = 0; k < 3; k++) expect(p[k]).toBeGreaterThanOrEqual(Math.min(expectedObject[k]!, expectedBackground[k]!) - 1e-6);
    // The mean colour of the centre 5×5 block is the object's colour.
    const mean = [0, 1, 2].map((k) => {
      let sum = 0;
      for (let r = 14; r < 19; r++) for (let c = 14; c < 19; c++) sum += img[3 * (r * 32 + c) + k]!;
      return sum / 25;
    });
    expect(near(mean, expectedObject, 1e-5)).toBe(true);
  });

  it('covers more pixels at a larger scale, and the colour-weighted centroid is (x, y)', () => {
    const area = (scale: number) => {
      const img = renderShape({ ...base, shape: 3, rotation: 1, scale }, 64);
      const bg = hsvToRgb(base.backgroundHue, ...BACKGROUND_SV);
      const obj = hsvToRgb(base.objectHue, ...OBJECT_SV);
      // Coverage of each pixel from its red channel: bg + c·(obj − bg).
      let total = 0;
      let sx = 0;
      let sy = 0;
      for (let q = 0; q < 64 * 64; q++) {
        const c = (img[3 * q]! - bg[0]) / (obj[0] - bg[0]);
        total += c;
        sx += c * ((q % 64) + 0.5);
        sy += c * (Math.floor(q / 64) + 0.5);
      }
      return { total, cx: sx / total / 64, cy: sy / total / 64 };
    };
    const scales = [0.5, 0.6, 0.7, 0.8, 0.9, 1];
    const areas = scales.map((s) => area(s).total);
    for (let i = 1; i < areas.length; i++) expect(areas[i]!).toBeGreaterThan(areas[i - 1]!);
    // Area grows as scale²: the ratio of the extremes is 4 up to antialiasing.
    expect(areas[5]! / areas[0]!).toBeCloseTo(4, 1);
    const { cx, cy } = area(1);
    expect(cx).toBeCloseTo(0.5, 2);
    expect(cy).toBeCloseTo(0.5, 2);
  });

  it('reads the side from the name: shapes is 64, shapes:N is N, anything else is one dataset error', async () => {
    expect(shapesSize('shapes')).toBe(64);
    expect(shapesSize('shapes:32')).toBe(32);
    expect(shapesSize('sprites')).toBeUndefined();
    for (const bad of ['shapes:', 'shapes:4', 'shapes:32.5', 'shapes:x', 'shapes:1000']) {
      expect(() => shapesSize(bad), bad).toThrow(FieldError);
      expect(() => shapesSize(bad), bad).toThrow(/^dataset/);
    }
    const ds = await loadDataset('shapes:16', { split: 'test', limit: 5, seed: 1 });
    expect(ds.name).toBe('shapes:16');
    expect(ds.shape).toEqual([16, 16, 3]);
    expect(ds.n).toBe(5);
    expect(bytesOf(pixelRange(ds)).equals(bytesOf(pixelRange(generateShapes({ split: 'test', n: 5, seed: 1, size: 16 }))))).toBe(true);
  });
});
