import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.js';
import { decodeImage } from '../../core/io/image.js';
import { decodeUserImage } from './user-image.js';

const raw = (width: number, height: number, rgb: number[]) => sharp(Buffer.from(Array.from({ length: width * height }, () => rgb).flat()), { raw: { width, height, channels: 3 } });

describe('decodeUserImage', () => {
  it('resizes a JPEG or WebP of any size to the model and converts colour as asked', async () => {
    const jpeg = await raw(40, 30, [200, 100, 50]).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
    const rgb = await decodeUserImage(jpeg, 'q.jpg', [8, 8, 3]);
    expect(rgb).toHaveLength(8 * 8 * 3);
    for (let p = 0; p < 64; p++) [200, 100, 50].forEach((v, k) => expect(Math.abs(rgb[p * 3 + k]! * 255 - v)).toBeLessThanOrEqual(2));
    const webp = await raw(5, 9, [90, 90, 90]).webp({ lossless: true }).toBuffer();
    const grey = await decodeUserImage(webp, 'q.webp', [4, 4, 1]);
    expect(Array.from(grey, (v) => Math.round(v * 255))).toEqual(new Array(16).fill(90));
  });

  it('reads a PNG of the model size as the core does, and refuses other formats naming the file', async () => {
    const png = await sharp(Buffer.from(Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 19) % 256)), { raw: { width: 4, height: 4, channels: 3 } }).png().toBuffer();
    expect(Array.from(await decodeUserImage(png, 'q.png', [4, 4, 1]))).toEqual(Array.from(decodeImage(png, 'q.png', [4, 4, 1])));
    const gif = await raw(4, 4, [1, 2, 3]).gif().toBuffer();
    await expect(decodeUserImage(gif, 'q.gif', [4, 4, 1])).rejects.toThrow(new UsageError('q.gif: gif format is not supported; use PNG, JPEG or WebP'));
    await expect(decodeUserImage(Buffer.from('nope'), 'q.jpg', [4, 4, 1])).rejects.toThrow(/^q\.jpg is not a readable image/);
  });
});
