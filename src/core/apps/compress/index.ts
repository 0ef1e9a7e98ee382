/** latentkit compress / decompress as a library: quantised, bit-packed, checked codes. */
export { packBits, packedLength, unpackBits } from './bits.js';
export { compressCodes, compressDataset, decodeCodes, decompressCodes, imagePng, pngSize, type CompressionReport } from './compress.js';
export { crc32 } from './crc32.js';
export { decodeLkz, encodeLkz, LKZ_MAGIC, LKZ_VERSION, lkzLength, type CompressedCodes } from './format.js';
export { modelId } from './model-id.js';
export { dequantize, fitQuantizer, quantize, type Quantizer } from './quantize.js';
