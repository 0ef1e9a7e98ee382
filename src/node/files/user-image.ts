/**
 * A user's picture (a search query, a mask) in Node: PNG, JPEG or WebP of
 * any size, resized to the model's input as image folders are (the short
 * side to the model's, the centre cropped), alpha over black. A PNG already
 * of the model's size is read by the core's decoder, as the lab reads it.
 */
import sharp, { type Metadata } from 'sharp';
import { UsageError } from '../../core/errors.js';
import { decodeImage } from '../../core/io/image.js';

const FORMATS: ReadonlySet<string> = new Set(['png', 'jpeg', 'webp']);

/** `bytes` of the file `name` as [h, w, c] pixels in [0, 1]. */
export async function decodeUserImage(bytes: Uint8Array, name: string, shape: readonly [number, number, number]): Promise<Float32Array> {
  const [h, w, c] = shape;
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw new UsageError(`${name} is not a readable image (${(err as Error).message.split('\n')[0]})`);
  }
  if (!meta.format || !FORMATS.has(meta.format)) throw new UsageError(`${name}: ${meta.format ?? 'its'} format is not supported; use PNG, JPEG or WebP`);
  if (meta.format === 'png' && meta.width === w && meta.height === h) return decodeImage(bytes, name, shape);
  let image = sharp(bytes).resize(w, h, { fit: 'cover', position: 'centre' }).flatten({ background: '#000000' });
  image = c === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
  let data: Buffer;
  try {
    ({ data } = await image.raw().toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw new UsageError(`${name} cannot be decoded (${(err as Error).message.split('\n')[0]}); it may be truncated`);
  }
  if (data.length !== h * w * c) throw new UsageError(`${name} cannot be converted to ${h}×${w}×${c} pixels`);
  return Float32Array.from(data, (v) => v / 255);
}
