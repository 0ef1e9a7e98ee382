/**
 * Image reconstruction metrics: MSE, PSNR and SSIM, per image and averaged
 * over a batch. Images are row-major; with several channels they are
 * interleaved [h, w, c] like the rest of latentkit. All sums run in float64.
 */
import { checkPositiveInt, checkShape, type Floats } from './shape.js';

/** A metric per image plus its mean over the batch. */
export interface BatchMetric {
  mean: number;
  perImage: Float64Array;
}

function checkSameLength(fn: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`${fn}: inputs differ in length (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new RangeError(`${fn}: inputs are empty`);
}

/** Mean squared error over all values: (1/N) Σ (aᵢ − bᵢ)². */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSameLength('mse', a, b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum / a.length;
}

/**
 * Peak signal-to-noise ratio in dB: 10·log₁₀(maxValue² / MSE). `maxValue` is
 * the largest possible pixel value (1 for images in [0, 1]). Identical images
 * have MSE 0 and PSNR +∞.
 */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, maxValue = 1): number {
  return psnrFromMse(mse(a, b), maxValue);
}

function psnrFromMse(meanSquaredError: number, maxValue: number): number {
  if (meanSquaredError === 0) return Infinity;
  return 10 * Math.log10((maxValue * maxValue) / meanSquaredError);
}

/** Options of {@link batchPsnr}. */
export interface BatchPsnrOptions {
  /** Largest possible pixel value; default 1. */
  maxValue?: number;
  /**
   * Value in dB that an image's PSNR counts as in the mean when it is higher,
   * in particular for exact reconstructions (PSNR = +∞), which would otherwise
   * make the mean +∞ and hide every other image. Default 100 dB
   * (MSE 1e-10 at maxValue 1), well above any lossy reconstruction.
   */
  cap?: number;
}

/** Result of {@link batchPsnr}. */
export interface BatchPsnr extends BatchMetric {
  /** Mean over images of min(PSNR, cap), in dB. */
  mean: number;
  /** Uncapped PSNR of each image (+∞ for exact reconstructions). */
  perImage: Float64Array;
  /** Number of images reconstructed exactly (PSNR = +∞). */
  exact: number;
}

/**
 * Mean of per-image PSNR over a batch of `n` images of `dim` values each.
 * This is the usual "average PSNR" of reconstruction papers; it is not the
 * PSNR of the batch-mean MSE (which weights bad images more). Exact
 * reconstructions are counted in `exact` and enter the mean as `cap`.
 */
export function batchPsnr(a: Floats, b: Floats, n: number, dim: number, options: BatchPsnrOptions = {}): BatchPsnr {
  checkPositiveInt('batchPsnr', 'n', n);
  checkShape('batchPsnr', 'a', a, n, dim);
  checkShape('batchPsnr', 'b', b, n, dim);
  const maxValue = options.maxValue ?? 1;
  const cap = options.cap ?? 100;
  const perImage = new Float64Array(n);
  let sum = 0;
  let exact = 0;
  for (let i = 0; i < n; i++) {
    const value = psnr(a.subarray(i * dim, (i + 1) * dim), b.subarray(i * dim, (i + 1) * dim), maxValue);
    perImage[i] = value;
    if (value === Infinity) exact++;
    sum += Math.min(value, cap);
  }
  return { mean: sum / n, perImage, exact };
}

/** Options of {@link ssim}; the defaults are those of Wang et al. (2004). */
export interface SsimOptions {
  /** Interleaved channels per pixel ([h, w, c] layout); SSIM is averaged over channels. Default 1. */
  channels?: number;
  /** Dynamic range L of the pixel values; default 1 (images in [0, 1]). */
  dataRange?: number;
  /** Standard deviation of the Gaussian window; default 1.5 (an 11×11 window). */
  sigma?: number;
  /** Stabiliser C1 = (K1·L)²; default K1 = 0.01. */
  k1?: number;
  /** Stabiliser C2 = (K2·L)²; default K2 = 0.03. */
  k2?: number;
}

/**
 * Normalised 1-D Gaussian weights. The radius is ⌊3.5σ + 0.5⌋ as in
 * scipy.ndimage with truncate = 3.5, which skimage uses to get Wang et al.'s
 * 11 taps at σ = 1.5; the 2-D window is the outer product with itself.
 */
function gaussianWindow(sigma: number): Float64Array {
  const radius = Math.floor(3.5 * sigma + 0.5);
  const weights = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let t = -radius; t <= radius; t++) {
    const wt = Math.exp((-0.5 * t * t) / (sigma * sigma));
    weights[t + radius] = wt;
    total += wt;
  }
  for (let t = 0; t < weights.length; t++) weights[t]! /= total;
  return weights;
}

/** Everything the per-channel SSIM needs besides the pixels. */
interface SsimSetup {
  h: number;
  w: number;
  channels: number;
  window: Float64Array;
  c1: number;
  c2: number;
}

function ssimSetup(fn: string, h: number, w: number, options: SsimOptions): SsimSetup {
  const channels = options.channels ?? 1;
  const dataRange = options.dataRange ?? 1;
  const sigma = options.sigma ?? 1.5;
  checkPositiveInt(fn, 'channels', channels);
  if (!(sigma > 0)) throw new RangeError(`${fn}: sigma must be positive, got ${sigma}`);
  const window = gaussianWindow(sigma);
  if (h < window.length || w < window.length) {
    throw new RangeError(`${fn}: ${h}×${w} images are smaller than the ${window.length}×${window.length} window (sigma ${sigma})`);
  }
  const c1 = ((options.k1 ?? 0.01) * dataRange) ** 2;
  const c2 = ((options.k2 ?? 0.03) * dataRange) ** 2;
  return { h, w, channels, window, c1, c2 };
}

/**
 * Mean SSIM of one channel over all window positions that fit inside the
 * image (no padding), with population (biased) weighted moments. The Gaussian
 * filter is separable: a horizontal pass over all rows, then a vertical pass
 * that also evaluates the SSIM map.
 */
function ssimChannel(a: ArrayLike<number>, b: ArrayLike<number>, channel: number, s: SsimSetup): number {
  const { h, w, channels, window, c1, c2 } = s;
  const taps = window.length;
  const ow = w - taps + 1;
  const oh = h - taps + 1;
  // Horizontally filtered a, b, a², b², ab for each image row.
  const fa = new Float64Array(h * ow);
  const fb = new Float64Array(h * ow);
  const faa = new Float64Array(h * ow);
  const fbb = new Float64Array(h * ow);
  const fab = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let t = 0; t < taps; t++) {
        const i = (y * w + x + t) * channels + channel;
        const va = a[i]!;
        const vb = b[i]!;
        const wt = window[t]!;
        sa += wt * va;
        sb += wt * vb;
        saa += wt * va * va;
        sbb += wt * vb * vb;
        sab += wt * va * vb;
      }
      const o = y * ow + x;
      fa[o] = sa; fb[o] = sb; faa[o] = saa; fbb[o] = sbb; fab[o] = sab;
    }
  }
  let total = 0;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let mx = 0, my = 0, mxx = 0, myy = 0, mxy = 0;
      for (let t = 0; t < taps; t++) {
        const o = (y + t) * ow + x;
        const wt = window[t]!;
        mx += wt * fa[o]!;
        my += wt * fb[o]!;
        mxx += wt * faa[o]!;
        myy += wt * fbb[o]!;
        mxy += wt * fab[o]!;
      }
      const vx = mxx - mx * mx;
      const vy = myy - my * my;
      const vxy = mxy - mx * my;
      total += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
    }
  }
  return total / (oh * ow);
}

function ssimImage(a: ArrayLike<number>, b: ArrayLike<number>, s: SsimSetup): number {
  let sum = 0;
  for (let c = 0; c < s.channels; c++) sum += ssimChannel(a, b, c, s);
  return sum / s.channels;
}

/**
 * Structural similarity (Wang et al. 2004) of two h×w images: the mean over
 * all valid 11×11 Gaussian-window (σ = 1.5) positions of
 *
 *   (2μₐμ_b + C1)(2σₐ_b + C2) / ((μₐ² + μ_b² + C1)(σₐ² + σ_b² + C2)),
 *
 * C1 = (0.01·L)², C2 = (0.03·L)², L = 1. This matches skimage's
 * `structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=1)` (with `channel_axis=-1` for
 * several channels). Symmetric in a and b; 1 for identical images.
 * Images must be at least as large as the window.
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, h: number, w: number, options: SsimOptions = {}): number {
  const setup = ssimSetup('ssim', h, w, options);
  checkShape('ssim', 'a', a, h * w, setup.channels);
  checkShape('ssim', 'b', b, h * w, setup.channels);
  return ssimImage(a, b, setup);
}

/** Per-image {@link ssim} of `n` image pairs and its mean over the batch. */
export function batchSsim(a: Floats, b: Floats, n: number, h: number, w: number, options: SsimOptions = {}): BatchMetric {
  checkPositiveInt('batchSsim', 'n', n);
  const setup = ssimSetup('batchSsim', h, w, options);
  const dim = h * w * setup.channels;
  checkShape('batchSsim', 'a', a, n, dim);
  checkShape('batchSsim', 'b', b, n, dim);
  const perImage = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    perImage[i] = ssimImage(a.subarray(i * dim, (i + 1) * dim), b.subarray(i * dim, (i + 1) * dim), setup);
    sum += perImage[i]!;
  }
  return { mean: sum / n, perImage };
}

/** What {@link ErrorSums} measures besides the squared error: per-image PSNR and SSIM of [h, w, c] images. */
export interface ImageErrorOptions {
  shape: readonly [number, number, number];
  psnr?: boolean;
  ssim?: boolean;
}

/**
 * Reconstruction error summed batch by batch, so a split is measured holding
 * one batch: the squared error over all values, and per-image PSNR (capped
 * at 100 dB as in {@link batchPsnr}) and SSIM. The sums run in the order of
 * the whole-array functions, so the results are theirs to the bit.
 */
export class ErrorSums {
  private squared = 0;
  private values = 0;
  private images = 0;
  private psnrSum = 0;
  private ssimSum = 0;
  private readonly setup?: SsimSetup;

  constructor(private readonly image?: ImageErrorOptions) {
    if (image?.ssim) this.setup = ssimSetup('ErrorSums', image.shape[0], image.shape[1], { channels: image.shape[2] });
  }

  /** Add rows `a` against references `b` (same length, whole images when measuring images). */
  add(a: Floats, b: Floats): void {
    checkSameLength('ErrorSums', a, b);
    for (let i = 0; i < a.length; i++) this.squared += (a[i]! - b[i]!) ** 2;
    this.values += a.length;
    if (this.image) this.addImages(a, b, this.image);
  }

  private addImages(a: Floats, b: Floats, image: ImageErrorOptions): void {
    const [h, w, c] = image.shape;
    const dim = h * w * c;
    checkShape('ErrorSums', 'a', a, a.length / dim, dim);
    for (let i = 0; i < a.length / dim; i++) {
      const [x, y] = [a.subarray(i * dim, (i + 1) * dim), b.subarray(i * dim, (i + 1) * dim)];
      if (image.psnr) this.psnrSum += Math.min(psnr(x, y), 100);
      if (this.setup) this.ssimSum += ssimImage(x, y, this.setup);
      this.images++;
    }
  }

  /** Mean squared error per value. */
  get mse(): number {
    return this.squared / this.values;
  }

  get rmse(): number {
    return Math.sqrt(this.mse);
  }

  /** Mean over images of min(PSNR, 100 dB). */
  get psnr(): number {
    return this.psnrSum / this.images;
  }

  /** Mean per-image SSIM. */
  get ssim(): number {
    return this.ssimSum / this.images;
  }
}
