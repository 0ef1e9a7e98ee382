import { describe, expect, it } from 'vitest';
import { batchPsnr, batchSsim, mse, psnr, ssim } from './image.js';

/** Deterministic pseudo-random values in [0, 1). */
function noise(length: number, seed: number): Float64Array {
  let state = seed >>> 0;
  return Float64Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  });
}

/** A smooth test image, [h, w, c] interleaved; built identically in the numpy reference below. */
function wave(h: number, w: number, c: number): Float64Array {
  const out = new Float64Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    out[(y * w + x) * c + k] = (Math.sin(0.7 * x + 0.3 * y + 0.5 * (k + 1)) + 1) / 2;
  }
  return out;
}
function perturbed(a: Float64Array, h: number, w: number, c: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    const i = (y * w + x) * c + k;
    out[i] = Math.min(1, Math.max(0, a[i]! + 0.2 * Math.cos(1.3 * x * y + k)));
  }
  return out;
}

/**
 * SSIM straight from the definition: for every valid 11×11 window position,
 * Gaussian-weighted moments summed over the full 2-D window (no separability).
 */
function ssimByDefinition(a: ArrayLike<number>, b: ArrayLike<number>, h: number, w: number): number {
  const r = 5;
  const g = Array.from({ length: 2 * r + 1 }, (_, t) => Math.exp(-((t - r) ** 2) / (2 * 1.5 * 1.5)));
  let norm = 0;
  for (const u of g) for (const v of g) norm += u * v;
  const [c1, c2] = [0.01 ** 2, 0.03 ** 2];
  let total = 0;
  let count = 0;
  for (let y = r; y < h - r; y++) {
    for (let x = r; x < w - r; x++) {
      let mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
        const wt = (g[dy + r]! * g[dx + r]!) / norm;
        const va = a[(y + dy) * w + x + dx]!, vb = b[(y + dy) * w + x + dx]!;
        mx += wt * va; my += wt * vb; sxx += wt * va * va; syy += wt * vb * vb; sxy += wt * va * vb;
      }
      const vx = sxx - mx * mx, vy = syy - my * my, cxy = sxy - mx * my;
      total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      count++;
    }
  }
  return total / count;
}

describe('mse and psnr', () => {
  it('computes them by hand: a constant difference of 0.1 is MSE 0.01, 20 dB', () => {
    const a = new Float32Array([0.2, 0.5, 0.9, 0.3]);
    const b = a.map((v) => v + 0.1);
    expect(mse(a, b)).toBeCloseTo(0.01, 7);
    expect(psnr(a, b)).toBeCloseTo(20, 4);
    expect(psnr(a, b, 255)).toBeCloseTo(20 + 20 * Math.log10(255), 4);
    expect(mse([0, 0], [1, 3])).toBe(5);
  });

  it('gives +Infinity for identical images and rejects mismatched inputs', () => {
    expect(psnr([0.1, 0.2], [0.1, 0.2])).toBe(Infinity);
    expect(() => mse([1, 2], [1])).toThrow(RangeError);
    expect(() => mse([], [])).toThrow(RangeError);
  });
});

describe('batchPsnr', () => {
  it('averages per-image PSNR, counting exact reconstructions as the cap', () => {
    // image 0: difference 0.1 everywhere (20 dB); image 1: 0.01 (40 dB); image 2: exact.
    const a = new Float64Array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const b = new Float64Array([0.6, 0.4, 0.51, 0.49, 0.5, 0.5]);
    const result = batchPsnr(a, b, 3, 2);
    expect(result.perImage[0]).toBeCloseTo(20, 8);
    expect(result.perImage[1]).toBeCloseTo(40, 8);
    expect(result.perImage[2]).toBe(Infinity);
    expect(result.exact).toBe(1);
    expect(result.mean).toBeCloseTo((20 + 40 + 100) / 3, 8);
    expect(batchPsnr(a, b, 3, 2, { cap: 50 }).mean).toBeCloseTo((20 + 40 + 50) / 3, 8);
    expect(() => batchPsnr(a, b, 2, 2)).toThrow(RangeError);
  });
});

describe('ssim', () => {
  const [h, w] = [16, 20];
  const a = wave(h, w, 1);
  const b = perturbed(a, h, w, 1);

  it('matches the definition computed window by window', () => {
    const noisy = a.map((v, i) => v + 0.3 * (noise(a.length, 7)[i]! - 0.5));
    expect(ssim(a, b, h, w)).toBeCloseTo(ssimByDefinition(a, b, h, w), 12);
    expect(ssim(a, noisy, h, w)).toBeCloseTo(ssimByDefinition(a, noisy, h, w), 12);
  });

  it('matches skimage-equivalent reference values (scipy.ndimage.gaussian_filter, truncate 3.5, crop 5)', () => {
    // numpy/scipy on the same images: f = gaussian_filter(·, sigma=1.5, truncate=3.5);
    // S = (2·f(a)f(b)+C1)(2·(f(ab)−f(a)f(b))+C2) / ((f(a)²+f(b)²+C1)(f(a²)−f(a)²+f(b²)−f(b)²+C2));
    // S[5:-5, 5:-5].mean(), per channel then averaged, as in skimage's structural_similarity.
    expect(ssim(a, b, h, w)).toBeCloseTo(0.9193047868053907, 12);
    const a3 = wave(12, 13, 3);
    expect(ssim(a3, perturbed(a3, 12, 13, 3), 12, 13, { channels: 3 })).toBeCloseTo(0.9218058010027302, 12);
  });

  it('is 1 for identical images and symmetric', () => {
    expect(ssim(a, a, h, w)).toBeCloseTo(1, 12);
    expect(ssim(b, a, h, w)).toBeCloseTo(ssim(a, b, h, w), 14);
  });

  it('decreases as noise grows', () => {
    const unit = noise(a.length, 3);
    const scores = [0.05, 0.1, 0.2, 0.4].map((level) => ssim(a, a.map((v, i) => v + level * (unit[i]! - 0.5)), h, w));
    for (let i = 1; i < scores.length; i++) expect(scores[i]!).toBeLessThan(scores[i - 1]!);
    expect(scores[0]!).toBeLessThan(1);
  });

  it('reduces to (2·c1·c2 + C1)/(c1² + c2² + C1) for constant images (zero variances)', () => {
    const [c1, c2] = [0.3, 0.7];
    const C1 = 0.01 ** 2;
    const expected = (2 * c1 * c2 + C1) / (c1 * c1 + c2 * c2 + C1);
    expect(ssim(new Float32Array(11 * 12).fill(c1), new Float32Array(11 * 12).fill(c2), 11, 12)).toBeCloseTo(expected, 6);
  });

  it('rejects images smaller than the window and mismatched shapes', () => {
    expect(() => ssim(new Float64Array(100), new Float64Array(100), 10, 10)).toThrow(RangeError);
    expect(() => ssim(a, b, w, h + 1)).toThrow(RangeError);
  });
});

describe('batchSsim', () => {
  it('returns per-image SSIM and their mean', () => {
    const [h, w] = [16, 20];
    const a = wave(h, w, 1);
    const b = perturbed(a, h, w, 1);
    const batchA = new Float64Array(2 * h * w);
    const batchB = new Float64Array(2 * h * w);
    batchA.set(a); batchB.set(b);
    batchA.set(a, h * w); batchB.set(a, h * w);
    const result = batchSsim(batchA, batchB, 2, h, w);
    expect(result.perImage[0]).toBeCloseTo(ssim(a, b, h, w), 14);
    expect(result.perImage[1]).toBeCloseTo(1, 12);
    expect(result.mean).toBeCloseTo((ssim(a, b, h, w) + 1) / 2, 12);
  });
});
