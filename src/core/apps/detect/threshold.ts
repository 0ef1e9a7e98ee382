/**
 * The decision threshold of a detector, from the scores of its training data:
 * either the (1 − contamination) quantile (the fraction of training examples
 * expected to be anomalous ends up above it) or an explicit quantile q.
 * An example is flagged when its score is strictly above the threshold.
 */
import { FieldError, UsageError } from '../../errors.js';

/** Fraction of the training data assumed anomalous when neither --contamination nor --quantile is given. */
export const DEFAULT_CONTAMINATION = 0.01;

export interface ThresholdRule {
  /** The quantile of the training scores used. */
  quantile: number;
  /** The contamination it came from, or null when --quantile was given. */
  contamination: number | null;
}

/** One rule from the user's flags; both, or a value out of range, is a UsageError. */
export function thresholdRule(options: { contamination?: number; quantile?: number }): ThresholdRule {
  const { contamination, quantile } = options;
  if (contamination !== undefined && quantile !== undefined) throw new FieldError('quantile', 'cannot be combined with {{contamination}}; give one of them');
  if (quantile !== undefined) {
    if (!(quantile > 0 && quantile <= 1)) throw new FieldError('quantile', `must be in (0, 1], got ${quantile}`);
    return { quantile, contamination: null };
  }
  const c = contamination ?? DEFAULT_CONTAMINATION;
  if (!(c >= 0 && c < 1)) throw new FieldError('contamination', `must be in [0, 1), got ${c}`);
  return { quantile: 1 - c, contamination: c };
}

/**
 * The q-quantile of `values` by linear interpolation between order statistics
 * (numpy's default, Hyndman-Fan type 7): position q·(n − 1) in the sorted values.
 */
export function quantileOf(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new UsageError('cannot take a quantile of no scores');
  if (!(q >= 0 && q <= 1)) throw new UsageError(`quantile must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

/** Flags for `scores`: 1 where the score is above `threshold`. */
export function flagAnomalies(scores: ArrayLike<number>, threshold: number): Uint8Array {
  return Uint8Array.from({ length: scores.length }, (_, i) => (scores[i] > threshold ? 1 : 0));
}
