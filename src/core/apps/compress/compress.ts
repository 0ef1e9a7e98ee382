/** Compressing a dataset's codes into .lkz bytes and decoding them back to data. */
import { encode } from 'fast-png';
import { decodeCodes, encodeCodes } from '../../models/inference.js';
import type { Dataset } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { ErrorSums } from '../../eval/metrics/image.js';
import { forEachRowBatch } from '../../data/batches.js';
import type { Autoencoder } from '../../models/types.js';
import { decodeLkz, encodeLkz, labelBitsFor, type CompressedCodes } from './format.js';
import { hex, modelId, sameId } from './model-id.js';
import { dequantize, fitQuantizer, quantize } from './quantize.js';
import { examplePixels } from '../../data/pixels.js';

/**
 * Quantise codes ([n, d]) to `bits` per dimension and pack them into a .lkz
 * file. Labels are stored too when the model is conditional (its decoder needs them).
 */
export function compressCodes(model: Autoencoder, codes: Float32Array, n: number, options: { bits: number; labels?: Int32Array }): Uint8Array {
  const d = model.config.latent;
  const quantizer = fitQuantizer(codes, n, d, options.bits);
  const labelBits = model.conditional ? labelBitsFor(model.config.numClasses) : 0;
  if (labelBits > 0 && options.labels?.length !== n) throw new UsageError(`a conditional model needs the ${n} labels of the codes to compress them`);
  return encodeLkz({ n, d, quantizer, levels: quantize(quantizer, codes), labels: labelBits > 0 ? options.labels : undefined, labelBits, modelId: modelId(model) });
}

/**
 * Read .lkz bytes back into codes, refusing a damaged file (see decodeLkz) or
 * one written with another model.
 */
export function decompressCodes(model: Autoencoder, bytes: Uint8Array, source = 'input'): { codes: Float32Array; labels?: Int32Array; file: CompressedCodes } {
  const file = decodeLkz(bytes, source);
  const id = modelId(model);
  if (!sameId(file.modelId, id)) throw new UsageError(`${source} was compressed with another model (fingerprint ${hex(file.modelId)}, this run has ${hex(id)})`);
  if (file.d !== model.config.latent) throw new UsageError(`${source} holds codes of size ${file.d} but the model's latent size is ${model.config.latent}`);
  return { codes: dequantize(file.quantizer, file.levels), labels: file.labels, file };
}

export { decodeCodes };

/**
 * One image as a standalone 8-bit PNG, grey or RGB (no alpha), with the
 * default deflate: the baseline a compressed code is compared with.
 */
export function imagePng(image: Float32Array, shape: readonly [number, number, number]): Uint8Array {
  const [h, w, c] = shape;
  const data = Uint8Array.from(image.subarray(0, h * w * c), (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
  return encode({ width: w, height: h, data, channels: c === 1 ? 1 : 3, depth: 8 });
}

export function pngSize(image: Float32Array, shape: readonly [number, number, number]): number {
  return imagePng(image, shape).length;
}

export interface CompressionReport {
  bits: number;
  n: number;
  latent: number;
  /** Size of the whole .lkz file. */
  fileBytes: number;
  /** fileBytes / n: header and quantiser amortised over the images. */
  bytesPerImage: number;
  /** Packed code bits of one image, in bytes (d·bits/8). */
  codeBytesPerImage: number;
  /** Mean size of each image as its own PNG. */
  pngBytesPerImage: number;
  /** pngBytesPerImage / bytesPerImage. */
  ratio: number;
  /** Mean per-image PSNR (dB) of decode(dequantised codes) against the originals. */
  psnr: number;
  /** The same with unquantised codes: the ceiling any bit depth can reach. */
  psnrUnquantized: number;
}

/** Compress every example of `ds`, decode it back, and measure size and quality. */
export function compressDataset(model: Autoencoder, ds: Dataset, bits: number, batchSize = 1000): { bytes: Uint8Array; report: CompressionReport } {
  if (ds.table) throw new UsageError('compress works on image datasets only (PNG is the size baseline)');
  const codes = encodeCodes(model, ds);
  const bytes = compressCodes(model, codes, ds.n, { bits, labels: ds.labels });
  const quality = decodedQuality(model, ds, codes, decompressCodes(model, bytes).codes, batchSize);
  let png = 0;
  for (let i = 0; i < ds.n; i++) png += pngSize(examplePixels(ds, i), ds.shape);
  const bytesPerImage = bytes.length / ds.n;
  return {
    bytes,
    report: {
      bits,
      n: ds.n,
      latent: model.config.latent,
      fileBytes: bytes.length,
      bytesPerImage,
      codeBytesPerImage: (model.config.latent * bits) / 8,
      pngBytesPerImage: png / ds.n,
      ratio: png / ds.n / bytesPerImage,
      psnr: quality.lossy.psnr,
      psnrUnquantized: quality.exact.psnr,
    },
  };
}

/** PSNR of the images decoded from the exact and from the dequantised codes, a batch at a time. */
function decodedQuality(model: Autoencoder, ds: Dataset, codes: Float32Array, lossyCodes: Float32Array, batchSize: number): { exact: ErrorSums; lossy: ErrorSums } {
  const d = model.config.latent;
  const image = { shape: ds.shape, psnr: true };
  const sums = { exact: new ErrorSums(image), lossy: new ErrorSums(image) };
  forEachRowBatch(ds, batchSize, (x, labels, start, end) => {
    const y = model.conditional ? labels : undefined;
    sums.exact.add(decodeCodes(model, codes.subarray(start * d, end * d), end - start, y, batchSize), x);
    sums.lossy.add(decodeCodes(model, lossyCodes.subarray(start * d, end * d), end - start, y, batchSize), x);
  });
  return sums;
}
