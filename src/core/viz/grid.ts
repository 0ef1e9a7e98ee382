/**
 * Pictures of images: tiles of [h, w, c] images in [0, 1] laid out in a
 * grid, as RGBA pixels (what a canvas's ImageData takes) or as PNG bytes.
 */
import { encode } from 'fast-png';

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

/** An RGBA picture, row-major, 4 bytes per pixel. */
export interface Picture {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

const toByte = (v: number) => Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));

/**
 * Tile `count` images of shape [h, w, c] (values in [0, 1], row-major, one
 * after another in `images`) row by row. Grey images (c = 1) become grey
 * pixels; NaN pixels (a cell left empty) are drawn black.
 */
export function tileImages(images: Float32Array, count: number, shape: readonly [number, number, number], options: GridOptions = {}): Picture {
  const [h, w, c] = shape;
  if (count < 1) throw new Error('tileImages: no images');
  if (images.length < count * h * w * c) throw new Error(`tileImages: expected ${count * h * w * c} values, got ${images.length}`);
  const cols = options.cols ?? Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  const pad = options.pad ?? 2;
  const scale = options.scale ?? 1;
  const cellW = w * scale;
  const cellH = h * scale;
  const width = cols * cellW + (cols + 1) * pad;
  const height = rows * cellH + (rows + 1) * pad;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(toByte(options.padValue ?? 0.5));
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  for (let k = 0; k < count; k++) {
    const x0 = pad + (k % cols) * (cellW + pad);
    const y0 = pad + Math.floor(k / cols) * (cellH + pad);
    const base = k * h * w * c;
    for (let y = 0; y < cellH; y++) {
      for (let x = 0; x < cellW; x++) {
        const src = base + (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
        const dst = ((y0 + y) * width + (x0 + x)) * 4;
        for (let ch = 0; ch < 3; ch++) rgba[dst + ch] = toByte(images[src + (c === 3 ? ch : 0)]!);
      }
    }
  }
  return { width, height, rgba };
}

/** PNG bytes of a picture (RGB, 8 bits per channel). */
export function encodePng(picture: Picture): Uint8Array {
  const { width, height, rgba } = picture;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    rgb[q] = rgba[p]!;
    rgb[q + 1] = rgba[p + 1]!;
    rgb[q + 2] = rgba[p + 2]!;
  }
  return encode({ width, height, data: rgb, channels: 3, depth: 8 });
}

/** `tileImages` as PNG bytes. */
export function encodeImageGrid(images: Float32Array, count: number, shape: readonly [number, number, number], options: GridOptions = {}): Uint8Array {
  return encodePng(tileImages(images, count, shape, options));
}
