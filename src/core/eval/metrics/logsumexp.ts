/**
 * Numerically stable log-sum-exp, one-shot and streaming.
 *
 * Both shift by the running maximum so that `exp` never overflows and the
 * largest term contributes exactly 1: log Σ exp(v) = m + log Σ exp(v − m).
 * Conventions (the same for both):
 * - no values, or all −∞  → −∞ (log of an empty sum / of zero);
 * - any +∞                → +∞;
 * - any NaN               → NaN.
 */

/** Largest value, NaN if any value is NaN, −∞ if there are none. */
function maxOf(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > max) max = v;
    else if (Number.isNaN(v)) return NaN;
  }
  return max;
}

/** Σ exp(v − shift); `shift` must be finite. */
function sumExpShifted(values: ArrayLike<number>, shift: number): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - shift);
  return sum;
}

/**
 * log(Σᵢ exp(valuesᵢ)) without overflow or underflow, e.g.
 * `logSumExp([-1000, -1001])` = −1000 + log(1 + e⁻¹) ≈ −999.6867.
 */
export function logSumExp(values: ArrayLike<number>): number {
  const max = maxOf(values);
  if (!Number.isFinite(max)) return max; // NaN, +∞, or −∞ (empty / all −∞)
  return max + Math.log(sumExpShifted(values, max));
}

/**
 * log((1/n) Σᵢ exp(valuesᵢ)): the log of a mean of weights given in log space,
 * as in the IWAE bound log (1/K) Σₖ wₖ. Empty input → NaN (the mean of
 * nothing is undefined).
 */
export function logMeanExp(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  return logSumExp(values) - Math.log(values.length);
}

/**
 * Log-sum-exp accumulated over chunks with O(1) memory, so that e.g. an IWAE
 * bound over K importance samples can be computed K/chunk samples at a time.
 * Adding chunks in any split gives the one-shot {@link logSumExp} of their
 * concatenation (up to rounding).
 *
 * It keeps the running maximum m and s = Σ exp(v − m); when a chunk raises the
 * maximum, s is rescaled by exp(m_old − m_new) ≤ 1, which cannot overflow.
 */
export class StreamingLogSumExp {
  private max = -Infinity;
  private scaledSum = 0;
  private sawNaN = false;
  private seen = 0;

  /** Fold in one chunk of log-space values. Returns `this` for chaining. */
  add(values: ArrayLike<number>): this {
    this.seen += values.length;
    const chunkMax = maxOf(values);
    if (Number.isNaN(chunkMax)) this.sawNaN = true;
    if (this.sawNaN || chunkMax === -Infinity || this.max === Infinity) return this;
    if (chunkMax === Infinity) {
      this.max = Infinity;
      return this;
    }
    if (chunkMax > this.max) {
      // exp(−∞) = 0 handles the first finite chunk.
      this.scaledSum *= Math.exp(this.max - chunkMax);
      this.max = chunkMax;
    }
    this.scaledSum += sumExpShifted(values, this.max);
    return this;
  }

  /** Number of values added so far (all chunks). */
  get count(): number {
    return this.seen;
  }

  /** log Σ exp(v) over everything added so far. */
  value(): number {
    if (this.sawNaN) return NaN;
    if (!Number.isFinite(this.max)) return this.max;
    return this.max + Math.log(this.scaledSum);
  }

  /** log((1/count) Σ exp(v)); NaN before anything was added. */
  logMean(): number {
    if (this.seen === 0) return NaN;
    return this.value() - Math.log(this.seen);
  }

  /** Forget everything, to reuse the accumulator for the next example. */
  reset(): this {
    this.max = -Infinity;
    this.scaledSum = 0;
    this.sawNaN = false;
    this.seen = 0;
    return this;
  }
}
