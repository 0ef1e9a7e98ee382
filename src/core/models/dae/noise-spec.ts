/**
 * The corruption specs of the denoising autoencoder as text and objects
 * (`mask:0.3`): parsing and validation, without TensorFlow.js, so requests
 * can check them before anything heavy loads.
 */
import { z } from 'zod';
import { FieldError } from '../../errors.js';

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
  if (kind === 'gaussian' && !(amount > 0)) throw new FieldError('noise', `${text}: the standard deviation σ of gaussian noise must be > 0`);
  if (kind !== 'gaussian' && !(amount > 0 && amount < 1)) throw new FieldError('noise', `${text}: the corrupted fraction p of ${kind} noise must be > 0 and < 1`);
}

/** A noise spec as an object, the form a saved config.json holds. */
export const noiseSpec = z.object({ kind: z.enum(NOISE_KINDS), amount: z.number() });

/** Kind and amount of a spec before validation, and the spec as text for messages. */
function noiseParts(value: unknown): { kind: unknown; amount: unknown; text: string } {
  if (typeof value === 'string') {
    const parts = value.split(':');
    if (parts.length !== 2) throw new FieldError('noise', `must be ${NOISE_FORMAT}, got '${value}'`);
    return { kind: parts[0].trim(), amount: parts[1].trim() === '' ? Number.NaN : Number(parts[1]), text: value };
  }
  if (typeof value === 'object' && value !== null) {
    const { kind, amount } = value as Record<string, unknown>;
    return { kind, amount, text: `${String(kind)}:${String(amount)}` };
  }
  throw new FieldError('noise', `must be ${NOISE_FORMAT}, got '${String(value)}'`);
}

/**
 * Parse and validate a noise spec: the text `mask:0.3`, or the object a
 * config.json already holds (so a saved config resolves to itself). Errors
 * name the field `noise`; requests that reuse the format (denoise's
 * `corrupt`) report the problem under their own field.
 *
 * @throws FieldError naming the expected format, or the allowed range of the amount
 */
export function parseNoise(value: unknown): NoiseSpec {
  const { kind, amount, text } = noiseParts(value);
  if (!NOISE_KINDS.includes(kind as NoiseKind)) throw new FieldError('noise', `must be ${NOISE_FORMAT}; unknown kind '${String(kind)}'`);
  if (typeof amount !== 'number' || !Number.isFinite(amount)) throw new FieldError('noise', `${text}: the amount after ':' must be a number`);
  checkAmount(kind as NoiseKind, amount, text);
  return { kind: kind as NoiseKind, amount };
}
