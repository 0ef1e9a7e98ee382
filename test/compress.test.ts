// latentkit compress / decompress: bit packing, quantisation, the .lkz format, and the CLI end to end.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressCodes, crc32, decodeLkz, decompressCodes, dequantize, encodeLkz, imagePng, fitQuantizer, lkzLength, packBits, packedLength, pngSize, quantize, unpackBits } from '../src/core/apps/compress/index.js';
import { encodeCodes } from '../src/core/models/inference.js';
import { loadDataset } from '../src/core/data/load.js';
import { UsageError } from '../src/core/errors.js';
import { getModelDefinition } from '../src/core/models/registry.js';
import { mulberry32, Rng } from '../src/core/random.js';
import { setup, tempDir, cli } from './helpers.js';

function smallModel(seed: number, latent = 3) {
  const def = getModelDefinition('ae');
  return def.create(def.resolveConfig({ hidden: [16], latent }, { shape: [28, 28, 1], numClasses: 10 }), new Rng(seed));
}

beforeAll(async () => {
  await setup('wasm');
});

describe('bit packing', () => {
  it('packs least significant bit first with no padding (hand-computed bytes)', () => {
    // 1 | 2<<2 | 3<<4 | 0<<6 = 0b00111001
    expect(Array.from(packBits([1, 2, 3, 0], 2))).toEqual([0x39]);
    // 5 values of 3 bits: 15 bits -> 2 bytes; 7 | 0<<3 | 5<<6 | 1<<9 | 6<<12 = 0x6347
    expect(Array.from(packBits([7, 0, 5, 1, 6], 3))).toEqual([0x47, 0x63]);
    expect(Array.from(packBits([0xabc], 12))).toEqual([0xbc, 0x0a]);
  });

  it('round-trips exactly for every width 1..16, including the extremes', () => {
    const random = mulberry32(3);
    for (let bits = 1; bits <= 16; bits++) {
      const top = 2 ** bits - 1;
      const values = Array.from({ length: 257 }, (_, i) => (i === 0 ? 0 : i === 1 ? top : Math.floor(random() * (top + 1))));
      const packed = packBits(values, bits);
      expect(packed.length).toBe(Math.ceil((257 * bits) / 8));
      expect(packed.length).toBe(packedLength(257, bits));
      expect(Array.from(unpackBits(packed, 257, bits))).toEqual(values);
    }
  });

  it('refuses values that do not fit and short input', () => {
    expect(() => packBits([4], 2)).toThrow(RangeError);
    expect(() => packBits([1.5], 4)).toThrow(RangeError);
    expect(() => packBits([1], 17)).toThrow(RangeError);
    expect(() => unpackBits(new Uint8Array(1), 3, 4)).toThrow(RangeError);
  });
});

describe('CRC-32', () => {
  it('matches the standard check value and zlib', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) & 0xff);
    const zcrc = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
    if (zcrc) expect(crc32(bytes)).toBe(zcrc(bytes));
  });
});

describe('quantisation', () => {
  it('errs by at most step/2 per dimension and keeps levels in range', () => {
    const random = mulberry32(5);
    const n = 500;
    const d = 4;
    // Dimensions on very different scales, one constant.
    const scales = [1, 100, 0.001, 0];
    const codes = Float32Array.from({ length: n * d }, (_, i) => (random() - 0.3) * scales[i % d]! + (i % d === 3 ? 2.5 : 0));
    for (const bits of [1, 2, 4, 8, 12, 16]) {
      const q = fitQuantizer(codes, n, d, bits);
      const levels = quantize(q, codes);
      expect(Math.max(...levels)).toBeLessThanOrEqual(2 ** bits - 1);
      const back = dequantize(q, levels);
      let worst = -Infinity; // largest excess of the error over its bound
      for (let i = 0; i < codes.length; i++) {
        const bound = q.step[i % d]! / 2 + 4e-7 * Math.abs(codes[i]!) + 1e-12;
        worst = Math.max(worst, Math.abs(back[i]! - codes[i]!) - bound);
      }
      expect(worst).toBeLessThanOrEqual(0);
      // The constant dimension comes back exactly; the step spans the range.
      expect(q.step[3]).toBe(0);
      for (let i = 3; i < codes.length; i += d) expect(back[i]).toBe(codes[i]);
      let hi = -Infinity;
      for (let i = 1; i < codes.length; i += d) hi = Math.max(hi, codes[i]!);
      expect(q.min[1]! + (2 ** bits - 1) * q.step[1]!).toBeGreaterThanOrEqual(hi);
    }
  });
});

describe('.lkz format', () => {
  const random = mulberry32(9);
  const n = 37;
  const d = 5;
  const codes = Float32Array.from({ length: n * d }, () => random() * 4 - 2);
  const quantizer = fitQuantizer(codes, n, d, 6);
  const levels = quantize(quantizer, codes);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  const modelId = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
  const bytes = encodeLkz({ n, d, quantizer, levels, labels, labelBits: 4, modelId });

  it('has the documented size and round-trips header, levels and labels', () => {
    expect(bytes.length).toBe(32 + 8 * d + Math.ceil((n * d * 6) / 8) + Math.ceil((n * 4) / 8) + 4);
    expect(bytes.length).toBe(lkzLength(n, d, 6, 4));
    const back = decodeLkz(bytes);
    expect(back).toMatchObject({ version: 1, n, d, labelBits: 4 });
    expect(back.quantizer.bits).toBe(6);
    expect(Array.from(back.quantizer.min)).toEqual(Array.from(quantizer.min));
    expect(Array.from(back.quantizer.step)).toEqual(Array.from(quantizer.step));
    expect(Array.from(back.levels)).toEqual(Array.from(levels));
    expect(Array.from(back.labels!)).toEqual(Array.from(labels));
    expect(Array.from(back.modelId)).toEqual(Array.from(modelId));
  });

  it('refuses a truncated, extended, flipped, foreign or newer file with one clear line', () => {
    const refuse = (b: Uint8Array, pattern: RegExp) => {
      let error: unknown;
      try {
        decodeLkz(b, 'x.lkz');
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message).not.toContain('\n');
    };
    refuse(bytes.subarray(0, bytes.length - 1), /x\.lkz is truncated or corrupt: its header describes \d+ bytes but it has \d+/);
    refuse(bytes.subarray(0, 20), /truncated/);
    refuse(new Uint8Array([...bytes, 0]), /corrupt/);
    for (const at of [40, 32 + 8 * d + 3, bytes.length - 2]) {
      const flipped = bytes.slice();
      flipped[at]! ^= 0x10;
      refuse(flipped, /x\.lkz is corrupt \(CRC-32 checksum mismatch\)/);
    }
    refuse(new TextEncoder().encode('hello world, not codes'), /not a latentkit compressed file/);
    const newer = bytes.slice();
    newer[4] = 2;
    refuse(newer, /format version 2/);
  });
});

describe('compressing codes of a model', () => {
  it('decompress gives the dequantised codes; another model is refused', async () => {
    const ds = await loadDataset('sprites', { split: 'test', limit: 50 });
    const model = smallModel(1);
    const other = smallModel(2);
    const before = tf.memory().numTensors;
    const codes = encodeCodes(model, ds);
    const bytes = compressCodes(model, codes, ds.n, { bits: 8 });
    const back = decompressCodes(model, bytes, 'c.lkz');
    const q = fitQuantizer(codes, ds.n, 3, 8);
    expect(Array.from(back.codes)).toEqual(Array.from(dequantize(q, quantize(q, codes))));
    expect(back.labels).toBeUndefined();
    expect(() => decompressCodes(other, bytes, 'c.lkz')).toThrow(/c\.lkz was compressed with another model/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    other.dispose();
  });

  it('the PNG baseline is a real grey PNG of the image', () => {
    const image = Float32Array.from({ length: 28 * 28 }, (_, i) => ((i * 13) % 29) / 28);
    const bytes = imagePng(image, [28, 28, 1]);
    expect(pngSize(image, [28, 28, 1])).toBe(bytes.length);
    expect(bytes[25]).toBe(0); // IHDR colour type: greyscale
    const back = PNG.sync.read(Buffer.from(bytes));
    expect([back.width, back.height]).toEqual([28, 28]);
    for (let p = 0; p < 28 * 28; p++) expect(back.data[4 * p]).toBe(Math.round(255 * image[p]!));
  });
});

describe('latentkit compress / decompress (CLI)', () => {
  let cwd: string;
  let run: string;

  beforeAll(() => {
    expect(fs.existsSync(path.resolve(__dirname, '../dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    cwd = tempDir();
    run = path.join(cwd, 'run');
    const r = cli(['train', '--model', 'ae', '--epochs', '2', '--limit', '512', '--hidden', '64', '--latent', '4', '--batch-size', '64', '--workers', '1', '--out', run, '--quiet'], cwd);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  it('compresses, decompresses to PNG, CSV and .npy, and refuses a damaged file', () => {
    const c = cli(['compress', '--run', run, '--limit', '40', '--bits', '6', '--out', 'codes.lkz', '--json'], cwd);
    expect(c.code, c.stderr).toBe(0);
    const report = JSON.parse(c.stdout);
    const size = fs.statSync(path.join(cwd, 'codes.lkz')).size;
    expect(size).toBe(lkzLength(40, 4, 6, 0));
    expect(report).toMatchObject({ n: 40, bits: 6, latent: 4, fileBytes: size, codeBytesPerImage: 3 });
    expect(report.bytesPerImage).toBeCloseTo(size / 40, 10);
    expect(report.ratio).toBeCloseTo(report.pngBytesPerImage / report.bytesPerImage, 10);
    expect(report.psnr).toBeLessThanOrEqual(report.psnrUnquantized + 0.5);
    expect(report.psnr).toBeGreaterThan(5);

    const d = cli(['decompress', '--run', run, '--input', 'codes.lkz', '--out', 'back.png'], cwd);
    expect(d.code, d.stderr).toBe(0);
    const png = PNG.sync.read(fs.readFileSync(path.join(cwd, 'back.png')));
    expect(png.width).toBe(7 * 28 + 8 * 2); // 40 images: 7 columns
    expect(cli(['decompress', '--run', run, '--input', 'codes.lkz', '--out', 'back.csv'], cwd).code).toBe(0);
    const rows = fs.readFileSync(path.join(cwd, 'back.csv'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(41);
    expect(rows[1]!.split(',')).toHaveLength(784);

    const bytes = fs.readFileSync(path.join(cwd, 'codes.lkz'));
    fs.writeFileSync(path.join(cwd, 'short.lkz'), bytes.subarray(0, bytes.length - 5));
    const flipped = Buffer.from(bytes);
    flipped[60] ^= 1;
    fs.writeFileSync(path.join(cwd, 'flipped.lkz'), flipped);
    for (const [file, pattern] of [['short.lkz', /truncated/], ['flipped.lkz', /checksum mismatch/], ['none.lkz', /does not exist/]] as const) {
      const r = cli(['decompress', '--run', run, '--input', file, '--out', 'x.png'], cwd);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.existsSync(path.join(cwd, 'x.png'))).toBe(false);
  }, 60_000);
});
