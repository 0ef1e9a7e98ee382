/**
 * Whole-split readers that stream: each result against an independent
 * computation on whole arrays (several batch sizes, one not dividing n), and
 * a large dataset on which no reader asks for more than a batch of rows or
 * allocates a whole-split float array.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { compressDataset, decompressCodes } from '../src/core/apps/compress/index.js';
import { denoiseDataset } from '../src/core/apps/denoise/index.js';
import { editExamples, drawnArea } from '../src/core/apps/edit/index.js';
import { forEachRowBatch } from '../src/core/data/batches.js';
import * as pixels from '../src/core/data/pixels.js';
import { generateShapes } from '../src/core/data/shapes.js';
import { featureSize, type Dataset } from '../src/core/data/types.js';
import { codesAndErrors, evaluateModel, representationProbes } from '../src/core/eval/evaluate.js';
import { fitPca } from '../src/core/eval/metrics/pca.js';
import { knnAccuracy, logisticRegressionAccuracy } from '../src/core/eval/metrics/probes.js';
import { batchSsim, ErrorSums } from '../src/core/eval/metrics/image.js';
import { decodeCodes, encodeCodes } from '../src/core/models/inference.js';
import { getModelDefinition } from '../src/core/models/registry.js';
import type { Autoencoder } from '../src/core/models/types.js';
import { Rng } from '../src/core/random.js';
import { setup } from './helpers.js';

// Every accessor spied on, so a test can see how many rows a reader asks for at once.
vi.mock('../src/core/data/pixels.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/core/data/pixels.js')>();
  return { ...original, copyValues: vi.fn(original.copyValues), pixelRange: vi.fn(original.pixelRange), gatherRows: vi.fn(original.gatherRows), examplePixels: vi.fn(original.examplePixels) };
});

const BATCH_SIZES = [1, 3, 4, 7, 500];

beforeAll(async () => {
  await setup('cpu');
});

afterEach(() => vi.mocked(pixels.copyValues).mockClear());

function vae(ds: Dataset, latent = 3): Autoencoder {
  const definition = getModelDefinition('vae');
  return definition.create(definition.resolveConfig({ hidden: [16], latent }, { shape: ds.shape, numClasses: ds.numClasses }), new Rng(1));
}

/** The whole split's reconstructions in one forward pass. */
function wholeReconstructions(model: Autoencoder, ds: Dataset): Float32Array {
  const x = pixels.pixelRange(ds);
  return tf.tidy(() => {
    const labels = tf.tensor1d(ds.labels, 'int32');
    return model.decode(model.encode({ x: tf.tensor2d(x, [ds.n, featureSize(ds)]), labels }), labels).dataSync() as Float32Array;
  });
}

/** Float64 references: MSE over all values, and the mean over images of min(PSNR, 100). */
function referenceMse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) * (a[i]! - b[i]!);
  return s / a.length;
}

function referencePsnr(a: Float32Array, b: Float32Array, n: number): number {
  const dim = a.length / n;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.min(100, -10 * Math.log10(referenceMse(a.subarray(i * dim, (i + 1) * dim), b.subarray(i * dim, (i + 1) * dim))));
  return s / n;
}

function expectClose(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.abs(expected) + 1e-12);
}

describe('forEachRowBatch', () => {
  it('hands over every row once, in order, as pixelRange reads them, whatever the batch size', () => {
    const ds = generateShapes({ split: 'test', n: 10, seed: 2, size: 8 });
    for (const b of BATCH_SIZES) {
      const seen: number[] = [];
      const labels: number[] = [];
      forEachRowBatch(ds, b, (x, l, start, end) => {
        expect(x.length).toBe((end - start) * featureSize(ds));
        seen.push(...x);
        labels.push(...l);
      });
      expect(Float32Array.from(seen)).toEqual(pixels.pixelRange(ds));
      expect(labels).toEqual(Array.from(ds.labels));
    }
  });
});

describe('ErrorSums', () => {
  it('sums batch by batch to the whole-array MSE, PSNR and SSIM', () => {
    const ds = generateShapes({ split: 'test', n: 10, seed: 3, size: 12 });
    const [h, w, c] = ds.shape;
    const b = pixels.pixelRange(ds);
    const a = b.map((v, i) => Math.min(1, Math.max(0, v + 0.1 * Math.sin(i))));
    a.set(b.subarray(0, featureSize(ds)));  // an exact image: PSNR +∞ enters the mean as 100 dB
    const ssim = batchSsim(a, b, ds.n, h, w, { channels: c }).mean;
    for (const size of BATCH_SIZES) {
      const sums = new ErrorSums({ shape: ds.shape, psnr: true, ssim: true });
      const dim = featureSize(ds) * size;
      for (let at = 0; at < a.length; at += dim) sums.add(a.subarray(at, at + dim), b.subarray(at, at + dim));
      expectClose(sums.mse, referenceMse(a, b));
      expectClose(sums.psnr, referencePsnr(a, b, ds.n));
      expect(sums.ssim).toBe(ssim);
    }
  });
});

describe('streamed readers against whole arrays', () => {
  const ds = generateShapes({ split: 'test', n: 10, seed: 4, size: 12 });
  let model: Autoencoder;
  beforeAll(() => {
    model = vae(ds);
  });

  it('codesAndErrors and evaluateModel: codes, MSE, PSNR and SSIM of the reconstructions; no tensors left', () => {
    const recons = wholeReconstructions(model, ds);
    const x = pixels.pixelRange(ds);
    const before = tf.memory().numTensors;
    for (const size of BATCH_SIZES) {
      const errors = new ErrorSums({ shape: ds.shape, psnr: true, ssim: true });
      const codes = codesAndErrors(model, ds, errors, size);
      const whole = encodeCodes(model, ds);
      expect(codes.every((v, i) => Math.abs(v - whole[i]!) <= 1e-6 * (1 + Math.abs(whole[i]!)))).toBe(true);
      expectClose(errors.mse, referenceMse(recons, x));
    }
    const e = evaluateModel(model, ds);
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(e.mse - referenceMse(recons, x))).toBeLessThan(1e-7 * e.mse);
    expect(Math.abs(e.psnr! - referencePsnr(recons, x, ds.n))).toBeLessThan(1e-6);
    expect(Math.abs(e.ssim! - batchSsim(recons, x, ds.n, 12, 12, { channels: 3 }).mean)).toBeLessThan(1e-6);
  });

  it('representationProbes: the PCA baseline projected and scored on the test split a batch at a time', () => {
    const train = generateShapes({ split: 'train', n: 40, seed: 4, size: 12 });
    const [x, xTest] = [pixels.pixelRange(train), pixels.pixelRange(ds)];
    const pca = fitPca(x, train.n, featureSize(train), 3);
    const [pcaTrain, pcaTest] = [Float32Array.from(pca.project(x, train.n)), Float32Array.from(pca.project(xTest, ds.n))];
    const reference = {
      logistic: logisticRegressionAccuracy(pcaTrain, train.labels, pcaTest, ds.labels, 3, Math.max(train.numClasses, ds.numClasses)),
      knn: knnAccuracy(pcaTrain, train.labels, pcaTest, ds.labels, 3, 5),
      mse: referenceMse(Float32Array.from(pca.reconstruct(pcaTest, ds.n)), xTest),
    };
    const codes = encodeCodes(model, ds);
    for (const size of BATCH_SIZES) {
      const probe = representationProbes(model, train, ds, codes, size);
      expect(probe.pca.logistic).toBe(reference.logistic);
      expect(probe.pca.knn).toBe(reference.knn);
      expectClose(probe.pca.mse, reference.mse);
    }
  });

  it('denoiseDataset: quality over every row, the first `keep` rows kept; no tensors left', () => {
    const corrupt = { kind: 'gaussian', amount: 0.3 } as const;
    const x = pixels.pixelRange(ds);
    const before = tf.memory().numTensors;
    for (const size of BATCH_SIZES) {
      const all = denoiseDataset(model, ds, { corrupt, seed: 5, batchSize: size });
      const q = all.quality!;
      expectClose(q.rmseNoisy, Math.sqrt(referenceMse(all.noisy, x)));
      expectClose(q.rmseCleaned, Math.sqrt(referenceMse(all.cleaned, x)));
      expectClose(q.psnrNoisy!, referencePsnr(all.noisy, x, ds.n));
      expectClose(q.psnrCleaned!, referencePsnr(all.cleaned, x, ds.n));
      const some = denoiseDataset(model, ds, { corrupt, seed: 5, batchSize: size, keep: 5 });
      expect(some.quality).toEqual(q);
      expect(some.noisy).toEqual(all.noisy.subarray(0, 5 * featureSize(ds)));
      expect(some.cleaned).toEqual(all.cleaned.subarray(0, 5 * featureSize(ds)));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('compressDataset: PSNR of the exact and dequantised decodings', () => {
    const x = pixels.pixelRange(ds);
    const exact = decodeCodes(model, encodeCodes(model, ds), ds.n);
    for (const size of BATCH_SIZES) {
      const { bytes, report } = compressDataset(model, ds, 6, size);
      expectClose(report.psnrUnquantized, referencePsnr(exact, x, ds.n));
      expectClose(report.psnr, referencePsnr(decodeCodes(model, decompressCodes(model, bytes).codes, ds.n), x, ds.n));
    }
  });
});

describe('the edit measurement', () => {
  it("measures the data's own groups over every example, across batches of 1000", () => {
    const ds = generateShapes({ split: 'test', n: 2300, seed: 6, size: 8 });
    const model = vae(ds, 2);
    const { measure } = editExamples(model, ds, { attribute: 'label:0', alphas: [0], n: 2 });
    const area = drawnArea(pixels.pixelRange(ds), featureSize(ds));
    const meanOf = (keep: (label: number) => boolean) => {
      const rows = Array.from(ds.labels.keys()).filter((i) => keep(ds.labels[i]!));
      return rows.reduce((s, i) => s + area[i]!, 0) / rows.length;
    };
    expectClose(measure!.data.with, meanOf((l) => l === 0));
    expectClose(measure!.data.without, meanOf((l) => l !== 0));
  });
});

describe('memory on a large split', () => {
  // 6000 images of 12×12×3: a whole-split float copy is 2.6 M values; a batch of 500 is 216 k.
  // Without factors: the disentanglement scores read codes, not pixels, and would only add time.
  const ds: Dataset = { ...generateShapes({ split: 'test', n: 6000, seed: 7, size: 12 }), factors: undefined };
  const dim = featureSize(ds);
  let model: Autoencoder;
  beforeAll(() => {
    model = vae(ds, 2);
  });

  /** Run `fn` and return the most rows any accessor was asked for at once, and the longest fresh Float32Array. */
  function peaks(fn: () => void): { rows: number; floats: number } {
    const calls = [pixels.copyValues, pixels.pixelRange, pixels.gatherRows, pixels.examplePixels].map((f) => vi.mocked(f as (...args: never[]) => unknown));
    calls.forEach((c) => c.mockClear());
    const Native = globalThis.Float32Array;
    let floats = 0;
    globalThis.Float32Array = new Proxy(Native, {
      construct(target, args, newTarget) {
        const made = Reflect.construct(target, args, newTarget) as Float32Array;
        if (!(args[0] instanceof ArrayBuffer) && !(args[0] instanceof SharedArrayBuffer)) floats = Math.max(floats, made.length);
        return made;
      },
    });
    try {
      fn();
    } finally {
      globalThis.Float32Array = Native;
    }
    const rowsAsked = [
      ...vi.mocked(pixels.copyValues).mock.calls.map((c) => c[2] / dim),
      ...vi.mocked(pixels.pixelRange).mock.calls.map((c) => (c[2] ?? c[0].n) - (c[1] ?? 0)),
      ...vi.mocked(pixels.gatherRows).mock.calls.map((c) => c[1].length),
    ];
    return { rows: Math.max(0, ...rowsAsked), floats };
  }

  it('eval, denoise, compress and edit read at most a batch of rows and hold no whole-split float array', () => {
    const limit = ds.n * dim;
    const cases: Array<[string, () => unknown, number]> = [
      ['eval', () => evaluateModel(model, ds), 500],
      ['denoise', () => denoiseDataset(model, ds, { corrupt: { kind: 'mask', amount: 0.2 }, keep: 8 }), 500],
      ['compress', () => compressDataset(model, ds, 6), 1000],
      ['edit', () => editExamples(model, ds, { attribute: 'label:0', alphas: [0, 1], n: 4 }), 1000],
    ];
    for (const [name, run, batch] of cases) {
      const peak = peaks(run);
      expect(peak.rows, name).toBeGreaterThan(0);
      expect(peak.rows, name).toBeLessThanOrEqual(batch);
      expect(peak.floats, name).toBeLessThanOrEqual(batch * dim);
      expect(peak.floats, name).toBeLessThan(limit / 4);
    }
  });

  it('the test itself sees a whole-split read', () => {
    expect(peaks(() => pixels.pixelRange(ds)).rows).toBe(ds.n);
    expect(peaks(() => new Float32Array(ds.n * dim)).floats).toBe(ds.n * dim);
  });
});
