/** Validation of the config fields all models share, and small checks models reuse. */
import { UsageError } from '../../errors.js';
import { ACTIVATIONS, ARCHITECTURES, type Activation, type Architecture, type CommonConfig, type DataInfo } from '../types.js';

export function positiveInteger(value: unknown, flag: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${flag} must be a positive integer, got '${String(value)}'`);
  }
  return n;
}

export function finiteNumber(value: unknown, flag: string, range: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean } = {}): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got '${String(value)}'`);
  const { min, max, exclusiveMin, exclusiveMax } = range;
  const belowMin = min !== undefined && (exclusiveMin ? n <= min : n < min);
  const aboveMax = max !== undefined && (exclusiveMax ? n >= max : n > max);
  if (belowMin || aboveMax) {
    const lo = min === undefined ? '' : `${exclusiveMin ? '>' : '≥'} ${min}`;
    const hi = max === undefined ? '' : `${exclusiveMax ? '<' : '≤'} ${max}`;
    throw new UsageError(`--${flag} must be ${[lo, hi].filter(Boolean).join(' and ')}, got ${n}`);
  }
  return n;
}

export function oneOf<T extends string>(value: unknown, flag: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got '${String(value)}'`);
  }
  return value as T;
}

/** A comma list like "400,400" (or an array already parsed) of positive integers. */
export function integerList(value: unknown, flag: string): number[] {
  const items = Array.isArray(value) ? value : String(value).split(',');
  if (items.length === 0 || (items.length === 1 && String(items[0]).trim() === '')) {
    throw new UsageError(`--${flag} must be a comma list of positive integers, got '${String(value)}'`);
  }
  return items.map((item) => positiveInteger(typeof item === 'string' ? item.trim() : item, flag));
}

/** Refuse settings a model does not understand, so typos never pass silently. */
export function rejectUnknownKeys(input: Record<string, unknown>, known: readonly string[], model: string): void {
  for (const key of Object.keys(input)) {
    if (input[key] !== undefined && !known.includes(key)) {
      const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new UsageError(`--${flag} is not an option of model '${model}'`);
    }
  }
}

export const COMMON_KEYS = ['model', 'arch', 'inputShape', 'numClasses', 'hidden', 'latent', 'activation'] as const;

export interface CommonDefaults {
  hidden: number[];
  latent: number;
  activation: Activation;
  arch?: Architecture;
}

/** The shared fields, from user input over the model's defaults. */
export function resolveCommon(model: string, input: Record<string, unknown>, data: DataInfo, defaults: CommonDefaults): CommonConfig {
  const arch = oneOf(input.arch ?? defaults.arch ?? 'mlp', 'arch', ARCHITECTURES);
  const hidden = integerList(input.hidden ?? defaults.hidden, 'hidden');
  const latent = positiveInteger(input.latent ?? defaults.latent, 'latent');
  const activation = oneOf(input.activation ?? defaults.activation, 'activation', ACTIVATIONS);
  const shape = data.shape.map((d) => positiveInteger(d, 'input shape')) as [number, number, number];
  return { model, arch, inputShape: shape, numClasses: data.numClasses, hidden, latent, activation };
}
