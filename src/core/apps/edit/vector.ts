/** Latent arithmetic on plain arrays: the attribute vector and z + α·v. */
import type { AttributeMask } from './attribute.js';

export interface AttributeVector {
  /** mean(z | attribute) − mean(z | not attribute), length `latent`. */
  vector: Float64Array;
  /** Euclidean norm |v|. */
  norm: number;
  positives: number;
  negatives: number;
}

/**
 * v = mean of the codes with mask 1 − mean of the codes with mask 0 (rows
 * with mask -1 are left out). `codes` is [n, latent] row-major. Sums in
 * float64 so thousands of float32 codes do not lose digits.
 */
export function attributeVector(codes: ArrayLike<number>, latent: number, mask: AttributeMask): AttributeVector {
  const n = mask.length;
  if (codes.length !== n * latent) throw new RangeError(`attributeVector: ${codes.length} code values for ${n} examples of size ${latent}`);
  const sums = [new Float64Array(latent), new Float64Array(latent)];
  const counts = [0, 0];
  for (let i = 0; i < n; i++) {
    const group = mask[i];
    if (group !== 0 && group !== 1) continue;
    counts[group]++;
    for (let d = 0; d < latent; d++) sums[group][d] += codes[i * latent + d];
  }
  if (counts[0] === 0 || counts[1] === 0) throw new RangeError('attributeVector: both groups need at least one example');
  const vector = Float64Array.from({ length: latent }, (_, d) => sums[1][d] / counts[1] - sums[0][d] / counts[0]);
  const norm = Math.hypot(...vector);
  return { vector, norm, positives: counts[1], negatives: counts[0] };
}

/**
 * The edited codes z + α·v for every α and every row of `codes` ([n, latent]):
 * [alphas.length, n, latent] row-major, one block of n codes per α.
 */
export function shiftCodes(codes: ArrayLike<number>, latent: number, vector: ArrayLike<number>, alphas: readonly number[]): Float32Array {
  if (vector.length !== latent) throw new RangeError(`shiftCodes: vector of size ${vector.length} for codes of size ${latent}`);
  const n = codes.length / latent;
  const out = new Float32Array(alphas.length * codes.length);
  alphas.forEach((alpha, a) => {
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < latent; d++) out[(a * n + i) * latent + d] = codes[i * latent + d] + alpha * vector[d];
    }
  });
  return out;
}

/** Per image: the number of values above `threshold` (the drawn area of a white-on-black picture). `images` is [count, dim]. */
export function drawnArea(images: ArrayLike<number>, dim: number, threshold = 0.5): Int32Array {
  const count = images.length / dim;
  const area = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    let s = 0;
    for (let p = k * dim; p < (k + 1) * dim; p++) if (images[p] > threshold) s++;
    area[k] = s;
  }
  return area;
}
