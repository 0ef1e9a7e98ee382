// PNGs written by pngjs (an independent encoder) and read back by decodeImage.
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from './image.js';

function png(w: number, h: number, pixel: (x: number, y: number) => [number, number, number, number]): Uint8Array {
  const image = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) image.data.set(pixel(x, y), 4 * (y * w + x));
  return PNG.sync.write(image);
}

describe('decodeImage', () => {
  it('reads grey levels scaled to [0, 1], averaging colour channels', () => {
    const px = decodeImage(png(3, 2, (x, y) => [x * 100, x * 100, y * 255, 255]), 'a.png', [2, 3, 1]);
    // pixel (x=2, y=1): (200 + 200 + 255) / 3 / 255
    expect(px[1 * 3 + 2]).toBeCloseTo((200 + 200 + 255) / 765, 6);
    expect(px[0]).toBe(0);
  });

  it('keeps colour for 3-channel shapes and composites alpha over black', () => {
    const px = decodeImage(png(1, 1, () => [255, 0, 51, 128]), 'b.png', [1, 1, 3]);
    expect(Array.from(px)).toEqual([128 / 255, 0, (51 / 255) * (128 / 255)].map((v) => Math.fround(v)));
  });

  it('reads grey-only PNGs (one channel) as they are', () => {
    const image = new PNG({ width: 2, height: 1, colorType: 0, inputColorType: 0, inputHasAlpha: false } as never);
    image.data = Buffer.from([0, 255]);
    const bytes = PNG.sync.write(image, { colorType: 0, inputColorType: 0, inputHasAlpha: false } as never);
    expect(Array.from(decodeImage(bytes, 'g.png', [1, 2, 1]))).toEqual([0, 1]);
  });

  it('refuses bytes that are not a PNG and a wrong size with a clear message', () => {
    expect(() => decodeImage(new TextEncoder().encode('not a png'), 'bad.png', [1, 1, 1])).toThrow(/bad.png is not a readable PNG/);
    expect(() => decodeImage(png(4, 4, () => [0, 0, 0, 255]), 'c.png', [28, 28, 1])).toThrow(/4×4 pixels but the model expects 28×28/);
  });
});
