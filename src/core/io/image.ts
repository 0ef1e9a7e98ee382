/** A user's picture (a query image, a mask, a drawing) as pixels of a dataset's shape. */
import { decode } from 'fast-png';
import { UsageError } from '../errors.js';

/**
 * PNG bytes as [h, w, c] values in [0, 1] (row-major), checking that the
 * picture is `shape` pixels. Colour becomes grey (mean of R, G, B) when
 * c = 1; alpha is composited over black. `name` names it in messages.
 *
 * @throws UsageError when the bytes are not a PNG, or the wrong size
 */
export function decodeImage(bytes: Uint8Array, name: string, shape: readonly [number, number, number]): Float32Array {
  const [h, w, c] = shape;
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (err) {
    throw new UsageError(`${name} is not a readable PNG image (${(err as Error).message})`);
  }
  if (png.width !== w || png.height !== h) throw new UsageError(`${name} is ${png.width}×${png.height} pixels but the model expects ${w}×${h}`);
  const channels = png.channels;
  const max = png.depth === 16 ? 65535 : (1 << png.depth) - 1;
  const palette = png.palette;
  const out = new Float32Array(h * w * c);
  for (let p = 0; p < h * w; p++) {
    let rgba: number[];
    if (palette) {
      const entry = palette[png.data[p]!] ?? [0, 0, 0];
      rgba = [entry[0]! / 255, entry[1]! / 255, entry[2]! / 255, entry.length > 3 ? entry[3]! / 255 : 1];
    } else {
      const px = Array.from({ length: channels }, (_, k) => png.data[p * channels + k]! / max);
      rgba = channels <= 2 ? [px[0]!, px[0]!, px[0]!, channels === 2 ? px[1]! : 1] : [px[0]!, px[1]!, px[2]!, channels === 4 ? px[3]! : 1];
    }
    const rgb = [0, 1, 2].map((k) => rgba[k]! * rgba[3]!);
    if (c === 1) out[p] = (rgb[0]! + rgb[1]! + rgb[2]!) / 3;
    else for (let k = 0; k < c; k++) out[p * c + k] = rgb[Math.min(k, 2)]!;
  }
  return out;
}
