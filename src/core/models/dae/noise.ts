/**
 * Corruption processes of the denoising autoencoder (Vincent et al., 2008/2010):
 *
 *   gaussian:σ      x̃ = x + N(0, σ²)                (optionally clipped to [0, 1])
 *   mask:p          a fraction p of each example's inputs forced to 0
 *   salt-pepper:p   a fraction p of each example's inputs set to 0 or 1 (a fair coin each)
 *
 * As in Vincent et al. (2010), the masked and salt-and-pepper entries are a
 * fixed fraction of each example, chosen at random, rather than independent
 * coin flips per pixel: every example loses the same amount of information.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UsageError } from '../../errors.js';
import { Rng } from '../../random.js';

export const NOISE_KINDS = ['gaussian', 'mask', 'salt-pepper'] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];

/** A parsed `--noise` spec: σ for `gaussian`, the corrupted fraction p for the others. */
export interface NoiseSpec {
  kind: NoiseKind;
  amount: number;
}

export const NOISE_FORMAT = `KIND:AMOUNT with KIND one of ${NOISE_KINDS.join(', ')} (e.g. mask:0.3, gaussian:0.5, salt-pepper:0.1)`;

/** The spec as the user writes it: `mask:0.3`. */
export function formatNoise(spec: NoiseSpec): string {
  return `${spec.kind}:${spec.amount}`;
}

function checkAmount(kind: NoiseKind, amount: number, text: string): void {
  if (kind === 'gaussian' && !(amount > 0)) {
    throw new UsageError(`--noise ${text}: the standard deviation σ of gaussian noise must be > 0`);
  }
  if (kind !== 'gaussian' && !(amount > 0 && amount < 1)) {
    throw new UsageError(`--noise ${text}: the corrupted fraction p of ${kind} noise must be > 0 and < 1`);
  }
}

/** Kind and amount of a spec before validation, and the spec as text for messages. */
function noiseParts(value: unknown): { kind: unknown; amount: unknown; text: string } {
  if (typeof value === 'string') {
    const parts = value.split(':');
    if (parts.length !== 2) throw new UsageError(`--noise must be ${NOISE_FORMAT}, got '${value}'`);
    return { kind: parts[0].trim(), amount: parts[1].trim() === '' ? Number.NaN : Number(parts[1]), text: value };
  }
  if (typeof value === 'object' && value !== null) {
    const { kind, amount } = value as Record<string, unknown>;
    return { kind, amount, text: `${String(kind)}:${String(amount)}` };
  }
  throw new UsageError(`--noise must be ${NOISE_FORMAT}, got '${String(value)}'`);
}

/**
 * Parse and validate a noise spec: the `--noise` string, or the object a
 * config.json already holds (so a saved config resolves to itself).
 *
 * @throws UsageError naming the expected format, or the allowed range of the amount
 */
export function parseNoise(value: unknown): NoiseSpec {
  const { kind, amount, text } = noiseParts(value);
  if (!NOISE_KINDS.includes(kind as NoiseKind)) throw new UsageError(`--noise must be ${NOISE_FORMAT}; unknown kind '${String(kind)}'`);
  if (typeof amount !== 'number' || !Number.isFinite(amount)) throw new UsageError(`--noise ${text}: the amount after ':' must be a number`);
  checkAmount(kind as NoiseKind, amount, text);
  return { kind: kind as NoiseKind, amount };
}

/**
 * A boolean [b, d] mask choosing exactly round(p·d) entries of every row,
 * uniformly at random: the entries whose uniform draw is among the row's k smallest.
 */
function chooseFraction(shape: [number, number], p: number, seed: number): tf.Tensor2D {
  const [b, d] = shape;
  const k = Math.round(p * d);
  if (k === 0) return tf.zeros(shape, 'bool');
  const u = tf.randomUniform(shape, 0, 1, 'float32', seed);
  const kthSmallest = tf.neg(tf.slice(tf.topk(tf.neg(u), k).values, [0, k - 1], [b, 1]));
  return tf.lessEqual(u, kthSmallest) as tf.Tensor2D;
}

/**
 * Corrupt a batch x [b, d] of inputs in [0, 1]. The same seed gives the same
 * corruption, so held-out inputs can be corrupted exactly as in training.
 *
 * @param options.clip clip gaussian-corrupted inputs to [0, 1] (the range a
 *   sigmoid/BCE model assumes); the other kinds never leave [0, 1]
 */
export function corruptBatch(x: tf.Tensor2D, noise: NoiseSpec, seed: number, options: { clip?: boolean } = {}): tf.Tensor2D {
  return tf.tidy((): tf.Tensor2D => {
    // Independent draws (which entries, which value) from one seed.
    const seeds = new Rng(seed);
    if (noise.kind === 'gaussian') {
      const noisy = tf.add(x, tf.randomNormal(x.shape, 0, noise.amount, 'float32', seeds.seed())) as tf.Tensor2D;
      return options.clip ? tf.clipByValue(noisy, 0, 1) : noisy;
    }
    const chosen = chooseFraction(x.shape, noise.amount, seeds.seed());
    if (noise.kind === 'mask') return tf.where(chosen, tf.zerosLike(x), x) as tf.Tensor2D;
    const salt = tf.cast(tf.less(tf.randomUniform(x.shape, 0, 1, 'float32', seeds.seed()), 0.5), 'float32');
    return tf.where(chosen, salt, x) as tf.Tensor2D;
  });
}
