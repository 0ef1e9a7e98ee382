// Colour (channels = 3) through every picture: the grid, PNG bytes, and the figures that stack or row images.
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { stackedVersions } from '../apps/denoise/picture.js';
import { editImage, type EditResult } from '../apps/edit/edit.js';
import { randomMask } from '../apps/impute/mask.js';
import { interpolateImage, type InterpolateResult } from '../apps/interpolate/interpolate.js';
import type { Dataset } from '../data/types.js';
import { floatPixels } from '../data/pixels.js';
import { hitsPicture, type QueryResult } from '../jobs/search.js';
import { encodePng, tileImages, type Picture } from './grid.js';

type Rgb = [number, number, number];

function pixelAt(p: Picture, x: number, y: number): Rgb {
  const at = 4 * (y * p.width + x);
  return [p.rgba[at]!, p.rgba[at + 1]!, p.rgba[at + 2]!];
}

/** `count` h×w×3 images, each filled with one colour (bytes / 255). */
function solid(colours: Rgb[], h = 2, w = 2): Float32Array {
  const out = new Float32Array(colours.length * h * w * 3);
  colours.forEach((c, i) => {
    for (let q = 0; q < h * w; q++) out.set(c.map((v) => v / 255), (i * h * w + q) * 3);
  });
  return out;
}

/** The colour at the centre of tile (row, col) of a grid of h×w tiles with `pad` pixels between them. */
function tileColour(p: Picture, row: number, col: number, h = 2, w = 2, pad = 2, scale = 1): Rgb {
  return pixelAt(p, pad + col * (w * scale + pad) + Math.floor((w * scale) / 2), pad + row * (h * scale + pad) + Math.floor((h * scale) / 2));
}

const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];
const ORANGE: Rgb = [255, 128, 0];
const TEAL: Rgb = [0, 128, 128];

describe('tiling colour images', () => {
  it('puts every channel of every pixel where it belongs, scaled and padded', () => {
    // Image 0: a 2×2 picture with four different colours (row-major, channels last); image 1: all orange.
    const images = new Float32Array(2 * 2 * 2 * 3);
    [RED, GREEN, BLUE, TEAL].forEach((c, q) => images.set(c.map((v) => v / 255), 3 * q));
    images.set(solid([ORANGE]), 12);
    const p = tileImages(images, 2, [2, 2, 3], { cols: 2, pad: 1, scale: 2, padValue: 1 });
    expect([p.width, p.height]).toEqual([2 * 4 + 3, 4 + 2]);
    // Image 0 occupies x 1..4, y 1..4, each source pixel a 2×2 block.
    expect(pixelAt(p, 1, 1)).toEqual(RED);
    expect(pixelAt(p, 2, 2)).toEqual(RED);
    expect(pixelAt(p, 3, 1)).toEqual(GREEN);
    expect(pixelAt(p, 4, 2)).toEqual(GREEN);
    expect(pixelAt(p, 1, 3)).toEqual(BLUE);
    expect(pixelAt(p, 4, 4)).toEqual(TEAL);
    // Image 1 starts after one pixel of white padding.
    expect(pixelAt(p, 5, 1)).toEqual([255, 255, 255]);
    expect(pixelAt(p, 6, 1)).toEqual(ORANGE);
    expect(pixelAt(p, 9, 4)).toEqual(ORANGE);
    expect(p.rgba.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
  });

  it('draws grey images as equal R, G and B', () => {
    const p = tileImages(Float32Array.from([0, 0.5, 1, 0.25]), 1, [2, 2, 1], { pad: 0 });
    expect([pixelAt(p, 0, 0), pixelAt(p, 1, 0), pixelAt(p, 0, 1), pixelAt(p, 1, 1)]).toEqual([
      [0, 0, 0],
      [128, 128, 128],
      [255, 255, 255],
      [64, 64, 64],
    ]);
  });

  it('writes an RGB PNG (colour type 2, 8 bits) holding exactly those pixels', () => {
    const p = tileImages(solid([RED, TEAL, ORANGE]), 3, [2, 2, 3], { cols: 3, pad: 1 });
    const bytes = encodePng(p);
    // IHDR: bit depth at byte 24, colour type at byte 25.
    expect([bytes[24], bytes[25]]).toEqual([8, 2]);
    const png = decode(bytes);
    expect([png.width, png.height, png.channels]).toEqual([p.width, p.height, 3]);
    for (let y = 0; y < p.height; y++) {
      for (let x = 0; x < p.width; x++) {
        const at = 3 * (y * p.width + x);
        expect([png.data[at], png.data[at + 1], png.data[at + 2]]).toEqual(pixelAt(p, x, y));
      }
    }
  });
});

describe('figures keep colour', () => {
  const shape: [number, number, number] = [2, 2, 3];

  it('before/after rows (denoise, impute): each version in its own row, in its own colours', () => {
    const p = stackedVersions([solid([RED, RED]), solid([BLUE, GREEN]), solid([TEAL, ORANGE])], 2, shape);
    expect([tileColour(p, 0, 0), tileColour(p, 0, 1)]).toEqual([RED, RED]);
    expect([tileColour(p, 1, 0), tileColour(p, 1, 1)]).toEqual([BLUE, GREEN]);
    expect([tileColour(p, 2, 0), tileColour(p, 2, 1)]).toEqual([TEAL, ORANGE]);
  });

  it('edit strips: originals in the first row, one row per α', () => {
    const result = { examples: [4, 9], alphas: [-1, 1], originals: solid([GREEN, TEAL]), edited: solid([RED, ORANGE, BLUE, GREEN]) } as unknown as EditResult;
    const p = editImage(result, shape);
    expect([tileColour(p, 0, 0), tileColour(p, 0, 1), tileColour(p, 1, 0), tileColour(p, 1, 1), tileColour(p, 2, 0), tileColour(p, 2, 1)]).toEqual([GREEN, TEAL, RED, ORANGE, BLUE, GREEN]);
  });

  it('interpolation rows and search hits: the dataset images and the decoded ones in colour', () => {
    const ds = { n: 3, shape, pixels: floatPixels(solid([RED, GREEN, BLUE])) } as unknown as Dataset;
    const path = { from: 2, to: 0, steps: 2, images: solid([ORANGE, TEAL]) } as unknown as InterpolateResult;
    const row = interpolateImage(path, ds);
    expect([0, 1, 2, 3].map((c) => tileColour(row, 0, c))).toEqual([BLUE, ORANGE, TEAL, RED]);
    const hits = { queries: [{ x: solid([TEAL]) }], hits: [[{ index: 1 }, { index: 2 }]], indexed: ds } as unknown as QueryResult;
    const grid = hitsPicture(hits, 2);
    expect([0, 1, 2].map((c) => tileColour(grid, 0, c, 2, 2, 2, 2))).toEqual([TEAL, GREEN, BLUE]);
  });

  it('a random imputation mask hides whole colour pixels, the same number in every row', () => {
    const mask = randomMask(20, 16 * 3, 0.25, 3, 3);
    for (let row = 0; row < 20; row++) {
      let hidden = 0;
      for (let q = 0; q < 16; q++) {
        const at = row * 48 + 3 * q;
        expect(mask[at + 1]).toBe(mask[at]);
        expect(mask[at + 2]).toBe(mask[at]);
        hidden += mask[at]!;
      }
      expect(hidden).toBe(4);
    }
    // One channel is the old behaviour, draw for draw.
    expect(randomMask(5, 12, 0.5, 1, 1)).toEqual(randomMask(5, 12, 0.5, 1));
  });
});
