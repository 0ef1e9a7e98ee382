import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDataset } from '../../core/data/load.js';
import { parseNpy } from '../../core/data/npy.js';
import { bytesPerValue, pixelRange } from '../../core/data/pixels.js';
import { UsageError } from '../../core/errors.js';
import { tempDir, usageMessage } from '../../../test/helpers.js';
import './datasets.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir('latentkit-npy-');
  dirs.push(d);
  return d;
}

/** An .npy file composed by hand as numpy.lib.format specifies: magic, version, padded header, data. */
function npy(descr: string, shape: number[], data: Uint8Array, options: { fortran?: boolean; version?: 1 | 2 } = {}): Uint8Array {
  const version = options.version ?? 1;
  const dict = `{'descr': '${descr}', 'fortran_order': ${options.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const prefix = version === 1 ? 10 : 12;
  // The header ends with a newline and is padded with spaces so the data starts at a multiple of 64.
  const padded = dict.padEnd(Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(prefix + padded.length + data.length);
  out.set([0x93, ...Buffer.from('NUMPY'), version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  out.set(Buffer.from(padded, 'latin1'), prefix);
  out.set(data, prefix + padded.length);
  return out;
}

const bytesOf = (a: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('.npy parsing', () => {
  it('reads uint8, little- and big-endian floats and int64, versions 1 and 2', () => {
    expect(Array.from(parseNpy(npy('|u1', [2, 2], Uint8Array.from([0, 1, 254, 255])), 'a').values)).toEqual([0, 1, 254, 255]);
    const f = Float32Array.from([0, 0.25, 1]);
    expect(Array.from(parseNpy(npy('<f4', [3], bytesOf(f), { version: 2 }), 'b').values)).toEqual([0, 0.25, 1]);
    const big = new Uint8Array(16);
    new DataView(big.buffer).setFloat64(0, 0.5, false);
    new DataView(big.buffer).setFloat64(8, 0.125, false);
    expect(Array.from(parseNpy(npy('>f8', [2], big), 'c').values)).toEqual([0.5, 0.125]);
    expect(Array.from(parseNpy(npy('<i8', [3], bytesOf(BigInt64Array.from([3n, 0n, 7n]))), 'd').values)).toEqual([3, 0, 7]);
    expect(parseNpy(npy('<f4', [2, 3, 4], bytesOf(new Float32Array(24))), 'e').shape).toEqual([2, 3, 4]);
  });

  it('refuses what it cannot read, naming the file', () => {
    expect(usageMessage(() => parseNpy(Buffer.from('PK\x03\x04 not npy'), 'x.npy'))).toMatch(/^x\.npy is not a \.npy file/);
    expect(usageMessage(() => parseNpy(npy('<f4', [2, 2], new Uint8Array(16), { fortran: true }), 'f.npy'))).toMatch(/^f\.npy: Fortran-ordered arrays are not supported/);
    expect(usageMessage(() => parseNpy(npy('|O', [2], new Uint8Array(16)), 'o.npy'))).toMatch(/^o\.npy: dtype '\|O' is not supported/);
    expect(usageMessage(() => parseNpy(npy('<c8', [2], new Uint8Array(16)), 'c.npy'))).toMatch(/dtype '<c8' is not supported/);
    expect(usageMessage(() => parseNpy(npy('<f4', [4], new Uint8Array(8)), 't.npy'))).toMatch(/^t\.npy: the data is shorter than its shape \(4\) says/);
    expect(usageMessage(() => parseNpy(npy('<f4', [-1 as number], new Uint8Array(8)), 's.npy'))).toMatch(/^s\.npy: the \.npy header has a malformed shape/);
    expect(usageMessage(() => parseNpy(npy('<f4', [2], new Uint8Array(8)).subarray(0, 40), 'h.npy'))).toMatch(/^h\.npy is cut short inside its \.npy header/);
  });

  it('gives only its own usage error for damaged files (fuzzed)', () => {
    const valid = npy('<f4', [2, 3], bytesOf(Float32Array.from([0, 0.1, 0.2, 0.3, 0.4, 0.5])));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(valid.length), (edits, cut) => {
        const bytes = valid.slice(0, cut);
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
        try {
          parseNpy(bytes, 'f.npy');
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('npy:<file> and npz:<file>', () => {
  it('round-trips uint8 images of an .npy file, every 10th example held out', async () => {
    const d = dir();
    const n = 20;
    const pixels = Uint8Array.from({ length: n * 3 * 2 }, (_, i) => (i * 11) % 256);
    const file = path.join(d, 'x.npy');
    fs.writeFileSync(file, npy('|u1', [n, 3, 2], pixels));
    const train = await loadDataset(`npy:${file}`, { split: 'train' });
    const test = await loadDataset(`npy:${file}`, { split: 'test' });
    expect([train.n, test.n]).toEqual([18, 2]);
    expect(train.shape).toEqual([3, 2, 1]);
    // Test examples 9 and 19; train the rest, in order.
    expect(Array.from(pixelRange(test).subarray(0, 6), (v) => Math.round(v * 255))).toEqual(Array.from(pixels.subarray(9 * 6, 10 * 6)));
    expect(Array.from(pixelRange(train).subarray(9 * 6, 10 * 6), (v) => Math.round(v * 255))).toEqual(Array.from(pixels.subarray(10 * 6, 11 * 6)));
    expect(train.numClasses).toBe(1);
  });

  it('reads an .npz of float colour images with labels (compressed or stored) and Keras-style split arrays', async () => {
    const d = dir();
    const n = 10;
    const images = Float32Array.from({ length: n * 2 * 2 * 3 }, (_, i) => (i % 5) / 4);
    const labels = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 4));
    const file = path.join(d, 'set.npz');
    fs.writeFileSync(file, zipSync({ 'images.npy': npy('<f4', [n, 2, 2, 3], bytesOf(images)), 'labels.npy': [npy('<i8', [n], bytesOf(labels)), { level: 0 }] }, { level: 6 }));
    const train = await loadDataset(`npz:${file}`, { split: 'train' });
    expect(train.shape).toEqual([2, 2, 3]);
    expect(train.n).toBe(9);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0]);
    expect(train.numClasses).toBe(4);
    expect(Array.from(pixelRange(train).subarray(0, 12))).toEqual(Array.from(images.subarray(0, 12)));

    const keras = path.join(d, 'keras.npz');
    const x = (k: number, v: number) => npy('|u1', [k, 2, 2], new Uint8Array(k * 4).fill(v));
    fs.writeFileSync(keras, zipSync({ 'x_train.npy': x(3, 10), 'y_train.npy': npy('|u1', [3], Uint8Array.from([0, 1, 2])), 'x_test.npy': x(2, 20), 'y_test.npy': npy('|u1', [2], Uint8Array.from([5, 1])) }));
    const ktrain = await loadDataset(`npz:${keras}`, { split: 'train' });
    const ktest = await loadDataset(`npz:${keras}`, { split: 'test' });
    expect([ktrain.n, ktest.n]).toEqual([3, 2]);
    expect([ktrain.numClasses, ktest.numClasses]).toEqual([6, 6]);
    expect(Array.from(ktest.labels)).toEqual([5, 1]);
    expect(pixelRange(ktest)[0]).toBeCloseTo(20 / 255, 7);
    expect(bytesPerValue(ktest)).toBe(1); // uint8 images stay bytes

    const bad = path.join(d, 'bad.npz');
    fs.writeFileSync(bad, zipSync({ 'images.npy': npy('<f4', [1, 1, 2], bytesOf(Float32Array.from([0.5, 2]))) }));
    await expect(loadDataset(`npz:${bad}`, { split: 'train' })).rejects.toThrow(`npz:${bad}:images: float images must lie in [0, 1], but value 1 is 2`);
  });

  const python = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!python)('reads what numpy itself writes (savez_compressed with y, and a float64 .npy)', async () => {
    const d = dir();
    const script = `
import numpy as np
x = (np.arange(12 * 4 * 5, dtype=np.uint8) * 3).reshape(12, 4, 5)
np.savez_compressed('${d}/n.npz', x=x, y=np.arange(12) % 3)
np.save('${d}/f.npy', np.linspace(0, 1, 12 * 2 * 2 * 3).reshape(12, 2, 2, 3))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const train = await loadDataset(`npz:${d}/n.npz`, { split: 'train' });
    expect(train.shape).toEqual([4, 5, 1]);
    expect(train.n).toBe(11);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 1, 2]); // example 9 is a test example
    expect(Math.round(pixelRange(train)[21]! * 255)).toBe((21 * 3) % 256);
    const f = await loadDataset(`npy:${d}/f.npy`, { split: 'test' });
    expect(f.shape).toEqual([2, 2, 3]);
    expect(pixelRange(f)[0]).toBeCloseTo((9 * 12) / (12 * 12 - 1), 6);
    expect(bytesPerValue(f)).toBe(4); // float images stay float32
  });
});
