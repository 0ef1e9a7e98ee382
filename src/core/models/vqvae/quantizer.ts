/**
 * Vector quantisation (van den Oord et al. 2017): each code vector is
 * replaced by its nearest row of a learned codebook, with a straight-through
 * gradient, plus the histogram of code usage that is both the batch's
 * perplexity and the model's prior over indices.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import { Rng } from '../../random.js';

/**
 * Index of the nearest codebook row (squared Euclidean distance) for each row
 * of z: [n, d] against [K, d] gives [n] int32. Ties go to the lower index.
 */
export function nearestCodes(z: tf.Tensor2D, codebook: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    // ‖z − e‖² = ‖z‖² − 2 z·e + ‖e‖²; ‖z‖² is the same for every e, so the argmin needs only the rest.
    const codeNorms = tf.reshape(tf.sum(tf.square(codebook), 1), [1, -1]); // [1, K]
    const distances = tf.sub(codeNorms, tf.mul(2, tf.matMul(z, codebook, false, true))); // [n, K]
    return tf.argMin(distances, 1) as tf.Tensor1D;
  });
}

/** One-hot rows of `indices`, [n, K] float32. */
export function oneHotRows(indices: tf.Tensor1D, size: number): tf.Tensor2D {
  // One-hots in int32, cast after: the wasm backend (4.22) writes int32 bit
  // patterns into a float32 oneHot, so 1 would read as 1.4e-45.
  return tf.cast(tf.oneHot(indices, size), 'float32') as tf.Tensor2D;
}

/**
 * Codebook rows at `indices`, [n, d]. A one-hot product rather than a gather:
 * its gradient into the codebook is a matrix product on every backend.
 */
export function lookupCodes(indices: tf.Tensor1D, codebook: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(oneHotRows(indices, codebook.shape[0]), codebook));
}

/** sg[x]: x forward, no gradient back. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.clone(input), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  return op(x) as T;
}

/**
 * z_q forward; backward, the gradient with respect to z_q goes to z_e
 * unchanged and none to z_q (z_e + sg[z_q − z_e] without the rounding of the
 * subtraction): the encoder learns as if quantisation were the identity.
 */
export function straightThrough(ze: tf.Tensor2D, zq: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const quantised = args[1] as tf.Tensor;
    return { value: tf.clone(quantised), gradFunc: (dy: tf.Tensor) => [dy, tf.zerosLike(dy)] };
  });
  return op(ze, zq) as tf.Tensor2D;
}

/** Per-example ‖a − b‖² summed over dims, averaged over the batch. */
function meanSquaredDistance(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.sum(tf.square(tf.sub(a, b)), 1)) as tf.Scalar;
}

/**
 * The two vector-quantisation terms, unweighted: codebook ‖sg[z_e] − e‖²
 * moves the chosen codes toward the encoder's outputs; commitment
 * ‖z_e − sg[e]‖² keeps the encoder's outputs near their codes.
 */
export function quantisationTerms(ze: tf.Tensor2D, zq: tf.Tensor2D): { codebook: tf.Scalar; commitment: tf.Scalar } {
  return tf.tidy(() => ({ codebook: meanSquaredDistance(stopGradient(ze), zq), commitment: meanSquaredDistance(ze, stopGradient(zq)) }));
}

/** How often each code is used in each group: indices [b, G] → counts [G, K] float32. */
export function codeCounts(indices: tf.Tensor2D, size: number): tf.Tensor2D {
  return tf.tidy(() => tf.sum(tf.cast(tf.oneHot(indices, size), 'float32'), 0) as tf.Tensor2D); // [b, G, K] → [G, K]
}

/** exp(entropy) of the frequencies `counts` [K]: 1 when one code is used, K when all are used equally. */
export function perplexity(counts: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.div(counts, tf.sum(counts));
    // 0·log 0 = 0: unused codes add nothing (log of 0 would be −∞ and 0·−∞ NaN).
    const plogp = tf.where(tf.greater(p, 0), tf.mul(p, tf.log(tf.maximum(p, 1e-30))), tf.zerosLike(p));
    return tf.exp(tf.neg(tf.sum(plogp))) as tf.Scalar;
  });
}

/**
 * Cumulative probabilities of one group's categorical p ∝ count^(1/T)
 * (temperature T: below 1 sharpens toward the common codes, above 1 flattens
 * toward every code that was used; a code never used stays at 0). With no
 * counts at all (an untrained model), every code is equally likely.
 */
function cumulative(counts: ArrayLike<number>, temperature: number): Float64Array {
  const K = counts.length;
  const max = Math.max(...Array.from(counts));
  const weights = Array.from(counts, (c) => (max > 0 ? (c > 0 ? Math.exp(Math.log(c / max) / temperature) : 0) : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf = new Float64Array(K);
  let acc = 0;
  weights.forEach((w, k) => (cdf[k] = acc += w / total));
  return cdf;
}

/** The first k with u < cdf[k] (binary search), never an unused code at the top end. */
export function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < cdf[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * n draws of G independent indices, group g from its row of counts [G, K]
 * at temperature T: Int32Array [n, G], row-major. Seeded, in plain
 * JavaScript, so every backend draws the same indices.
 */
export function drawIndices(counts: Float32Array, groups: number, n: number, seed: number, temperature: number): Int32Array {
  const K = counts.length / groups;
  const cdfs = Array.from({ length: groups }, (_, g) => cumulative(counts.subarray(g * K, (g + 1) * K), temperature));
  const rng = new Rng(seed);
  const out = new Int32Array(n * groups);
  for (let i = 0; i < n; i++) for (let g = 0; g < groups; g++) out[i * groups + g] = searchCdf(cdfs[g], rng.next() * cdfs[g][K - 1]);
  return out;
}

/** Per step, the usage counts decay by this before the batch's are added: they weigh about the last 1/(1 − 0.995) = 200 steps. */
export const USAGE_DECAY = 0.995;

/** A code is dead when its decayed usage is below this: about no use in the last 1/(1 − decay) steps. */
export const DEAD_USAGE = 1;

export interface VectorQuantizerArgs extends LayerArgs {
  /** K: vectors in the codebook. */
  codebookSize: number;
  /** G: groups the input is split into, each quantised against the same codebook. */
  groups: number;
  /** Seed of the codebook's initial values (not saved: reloading reads the weights). */
  seed?: number;
}

/**
 * The codebook as a layer, so it is saved with its network and reloads
 * exactly: weights `codebook` [K, latent/G] (trainable) and `usage` [G, K]
 * (decayed counts of each group's indices during training, not trainable),
 * the prior that {@link drawIndices} samples. Applied to z_e [b, latent] it
 * returns z_q, each group replaced by its nearest code.
 */
export class VectorQuantizer extends tfl.layers.Layer {
  static className = 'VectorQuantizer';
  readonly codebookSize: number;
  readonly groups: number;
  private readonly seed?: number;
  private codebookWeight?: tfl.LayerVariable;
  private usageWeight?: tfl.LayerVariable;

  constructor(args: VectorQuantizerArgs) {
    super(args);
    this.codebookSize = args.codebookSize;
    this.groups = args.groups;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const latent = shape[shape.length - 1] as number;
    const K = this.codebookSize;
    // U(−1/K, 1/K), the usual VQ-VAE start: every code near the origin, so the first assignments follow direction.
    const init = tfl.initializers.randomUniform({ minval: -1 / K, maxval: 1 / K, seed: this.seed });
    this.codebookWeight = this.addWeight('codebook', [K, latent / this.groups], 'float32', init);
    this.usageWeight = this.addWeight('usage', [this.groups, K], 'float32', tfl.initializers.zeros(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.quantise((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D).zq);
  }

  /** The codebook, [K, d]. */
  codebook(): tf.Tensor2D {
    return this.codebookWeight!.read() as tf.Tensor2D;
  }

  /** The decayed usage counts, [G, K]. */
  usage(): tf.Tensor2D {
    return this.usageWeight!.read() as tf.Tensor2D;
  }

  /** Nearest codes of z_e [b, latent]: indices [b, G] and z_q [b, latent] (differentiable in the codebook). */
  quantise(ze: tf.Tensor2D): { indices: tf.Tensor2D; zq: tf.Tensor2D } {
    return tf.tidy(() => {
      const [b, latent] = ze.shape;
      const groups = tf.reshape(ze, [b * this.groups, latent / this.groups]) as tf.Tensor2D; // [b·G, d]: row i·G + g is group g of example i
      const indices = nearestCodes(groups, this.codebook());
      const zq = tf.reshape(lookupCodes(indices, this.codebook()), [b, latent]) as tf.Tensor2D;
      return { indices: tf.reshape(indices, [b, this.groups]) as tf.Tensor2D, zq };
    });
  }

  /**
   * Codes whose decayed usage, over all groups, is below {@link DEAD_USAGE}
   * take the value of a random group of this batch's z_e [b, latent], so
   * they are in use again. Before any training every code is unused, so the
   * first reset starts the codebook at encoder outputs. Returns how many were reset.
   */
  resetDeadCodes(ze: tf.Tensor2D, seed: number): number {
    return tf.tidy(() => {
      const [b, latent] = ze.shape;
      const rows = b * this.groups;
      const dead = tf.less(tf.sum(this.usage(), 0), DEAD_USAGE); // [K]
      const deadCount = tf.sum(tf.cast(dead, 'int32')).dataSync()[0];
      if (deadCount === 0) return 0;
      const rng = new Rng(seed);
      const picks = tf.tensor1d(Int32Array.from({ length: this.codebookSize }, () => Math.floor(rng.next() * rows)), 'int32');
      const replacements = tf.gather(tf.reshape(ze, [rows, latent / this.groups]), picks); // [K, d]
      this.codebookWeight!.write(tf.where(tf.reshape(dead, [-1, 1]), replacements, this.codebook())); // [K, 1] broadcast over [K, d]
      return deadCount;
    });
  }

  /** usage ← decay·usage + counts [G, K] of this batch. */
  recordUsage(counts: tf.Tensor2D): void {
    tf.tidy(() => {
      this.usageWeight!.write(tf.add(tf.mul(USAGE_DECAY, this.usage()), counts));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), codebookSize: this.codebookSize, groups: this.groups };
  }
}
tf.serialization.registerClass(VectorQuantizer);
