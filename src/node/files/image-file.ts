/** Reading a user's picture (a query image, a mask) as pixels of a dataset's shape. */
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import { UsageError } from '../../core/errors.js';

/**
 * Read a PNG file as [h, w, c] values in [0, 1] (row-major), checking that it
 * is `shape` pixels. Colour images become grey (mean of R, G, B) when c = 1;
 * alpha is composited over black.
 *
 * @throws UsageError when the file is missing, not a PNG, or the wrong size
 */
export function readImageFile(file: string, shape: readonly [number, number, number]): Float32Array {
  const [h, w, c] = shape;
  if (!fs.existsSync(file)) throw new UsageError(`image file ${file} does not exist`);
  let png: PNG;
  try {
    png = PNG.sync.read(fs.readFileSync(file));
  } catch (err) {
    throw new UsageError(`${file} is not a readable PNG image (${(err as Error).message})`);
  }
  if (png.width !== w || png.height !== h) throw new UsageError(`${file} is ${png.width}×${png.height} pixels but the model expects ${w}×${h}`);
  const out = new Float32Array(h * w * c);
  for (let p = 0; p < h * w; p++) {
    const alpha = png.data[4 * p + 3] / 255;
    const rgb = [0, 1, 2].map((k) => (png.data[4 * p + k] / 255) * alpha);
    if (c === 1) out[p] = (rgb[0] + rgb[1] + rgb[2]) / 3;
    else for (let k = 0; k < c; k++) out[p * c + k] = rgb[Math.min(k, 2)];
  }
  return out;
}
