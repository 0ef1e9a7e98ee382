/** Writing image files for tests: PNG by fast-png (an encoder independent of sharp), JPEG and WebP by sharp. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encode } from 'fast-png';
import sharp from 'sharp';

/** A PNG of `pixels` ([h, w, c] uint8, c = 1 or 3). */
export function writePng(file: string, pixels: Uint8Array, width: number, height: number, channels: 1 | 3): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encode({ width, height, data: pixels, channels, depth: 8 }));
}

/** A JPEG (quality 100, no chroma subsampling) or a lossless WebP of `pixels`. */
export async function writeLossy(file: string, pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let image = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  if (channels === 1) image = image.toColourspace('b-w');
  const bytes = file.endsWith('.webp') ? await image.webp({ lossless: true }).toBuffer() : await image.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
  fs.writeFileSync(file, bytes);
}

/** [0, 1] floats as bytes. */
export const toBytes = (values: ArrayLike<number>): Uint8Array => Uint8Array.from(values, (v) => Math.round(v * 255));
