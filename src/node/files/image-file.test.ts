import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { readImageFile } from './image-file.js';

function writePng(file: string, w: number, h: number, pixel: (x: number, y: number) => [number, number, number, number]): void {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) png.data.set(pixel(x, y), 4 * (y * w + x));
  fs.writeFileSync(file, PNG.sync.write(png));
}

describe('readImageFile', () => {
  const dir = tempDir();

  it('reads grey levels scaled to [0, 1], averaging colour channels', () => {
    const file = path.join(dir, 'a.png');
    writePng(file, 3, 2, (x, y) => [x * 100, x * 100, y * 255, 255]);
    const px = readImageFile(file, [2, 3, 1]);
    // pixel (x=2, y=1): (200 + 200 + 255) / 3 / 255
    expect(px[1 * 3 + 2]).toBeCloseTo((200 + 200 + 255) / 765, 6);
    expect(px[0]).toBe(0);
  });

  it('keeps colour for 3-channel shapes and composites alpha over black', () => {
    const file = path.join(dir, 'b.png');
    writePng(file, 1, 1, () => [255, 0, 51, 128]);
    const px = readImageFile(file, [1, 1, 3]);
    expect(Array.from(px)).toEqual([128 / 255, 0, (51 / 255) * (128 / 255)].map((v) => Math.fround(v)));
  });

  it('refuses a missing file, a non-PNG and a wrong size with a clear message', () => {
    expect(() => readImageFile(path.join(dir, 'none.png'), [1, 1, 1])).toThrow(/does not exist/);
    const bad = path.join(dir, 'bad.png');
    fs.writeFileSync(bad, 'not a png');
    expect(() => readImageFile(bad, [1, 1, 1])).toThrow(/not a readable PNG/);
    const file = path.join(dir, 'c.png');
    writePng(file, 4, 4, () => [0, 0, 0, 255]);
    expect(() => readImageFile(file, [28, 28, 1])).toThrow(/4×4 pixels but the model expects 28×28/);
  });
});
