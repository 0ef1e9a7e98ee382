import { PNG } from 'pngjs';

export interface GridOptions {
  /** Images per row; default: ceil(sqrt(count)). */
  cols?: number;
  /** Pixels of padding between images. */
  pad?: number;
  /** Padding grey level in [0, 1]. */
  padValue?: number;
  /** Integer upscaling factor per pixel. */
  scale?: number;
}

/**
 * Tile `count` images of shape [h, w, c] (values in [0, 1], row-major, one
 * after another in `images`) into one PNG, row by row.
 */
export function encodeImageGrid(images: Float32Array, count: number, shape: readonly [number, number, number], options: GridOptions = {}): Buffer {
  const [h, w, c] = shape;
  if (count < 1) throw new Error('encodeImageGrid: no images');
  if (images.length < count * h * w * c) throw new Error(`encodeImageGrid: expected ${count * h * w * c} values, got ${images.length}`);
  const cols = options.cols ?? Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  const pad = options.pad ?? 2;
  const scale = options.scale ?? 1;
  const padByte = Math.round(255 * (options.padValue ?? 0.5));
  const cellW = w * scale;
  const cellH = h * scale;
  const width = cols * cellW + (cols + 1) * pad;
  const height = rows * cellH + (rows + 1) * pad;
  const png = new PNG({ width, height });
  png.data.fill(padByte);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  for (let k = 0; k < count; k++) {
    const x0 = pad + (k % cols) * (cellW + pad);
    const y0 = pad + Math.floor(k / cols) * (cellH + pad);
    const base = k * h * w * c;
    for (let y = 0; y < cellH; y++) {
      for (let x = 0; x < cellW; x++) {
        const src = base + (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
        const dst = ((y0 + y) * width + (x0 + x)) * 4;
        for (let ch = 0; ch < 3; ch++) {
          const v = images[src + (c === 3 ? ch : 0)];
          png.data[dst + ch] = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
        }
        png.data[dst + 3] = 255;
      }
    }
  }
  return PNG.sync.write(png);
}
