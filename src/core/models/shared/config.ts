/**
 * The settings every model shares (architecture, widths, code size,
 * activation) as schemas, and the steps each model's resolveConfig takes:
 * refuse keys it does not know, parse its own options, fill the shared
 * fields from the model's defaults.
 */
import { z } from 'zod';
import { FieldError } from '../../errors.js';
import { count, described } from '../../requests/fields.js';
import { parseRequest } from '../../requests/validate.js';
import { ACTIVATIONS, ARCHITECTURES, type Activation, type Architecture, type CommonConfig, type DataInfo } from '../types.js';

/** The shared model fields of a training request; each model has its own defaults for them. */
export const COMMON_FIELDS = {
  arch: described(z.enum(ARCHITECTURES), { arg: 'ARCH', description: 'network architecture: mlp, or conv (3×3 stride-2 convolutions)', defaultText: 'mlp' }),
  hidden: described(z.array(z.int().min(1).max(100_000)).min(1).max(64), { arg: 'LIST', description: 'hidden layer widths of the encoder, comma separated (the decoder mirrors them)', defaultText: 'per model, never wider than the input' }),
  latent: count({ description: 'size of the code z', defaultText: 'per model, at most a quarter of the input' }, 100_000),
  activation: described(z.enum(ACTIVATIONS), { arg: 'NAME', description: 'hidden activation (leaky slope 0.2)', defaultText: 'per model' }),
  convFilters: described(z.array(z.int().min(1).max(4096)).min(1).max(8), {
    arg: 'LIST',
    description: "--arch conv: filters of the encoder's 3×3 stride-2 convolutions, comma separated (the decoder mirrors them); each halves the image side",
    defaultText: '32,64',
  }),
  batchNorm: described(z.boolean(), { description: '--arch conv: batch normalisation after each convolution (its moving statistics are saved with the run)', defaultText: 'off' }),
  dropout: described(z.number().min(0).lt(1), { arg: 'P', description: '--arch conv: dropout rate after each convolution, while training', defaultText: '0' }),
};

/** The conv-only fields, and the values a conv network has without them (conv.ts's CONV_FILTERS, not imported: requests load this module without tfjs-layers). */
const CONV_DEFAULTS = { convFilters: [32, 64], batchNorm: false, dropout: 0 };

const commonSchema = z.object(COMMON_FIELDS).partial();

/** Keys a saved config holds besides the options (so a config resolves to itself). */
export const COMMON_KEYS = ['model', 'inputShape', 'numClasses', ...Object.keys(COMMON_FIELDS)] as const;

/** Refuse settings a model does not understand, so typos never pass silently. */
export function rejectUnknownKeys(input: Record<string, unknown>, known: readonly string[], model: string): void {
  for (const key of Object.keys(input)) {
    if (input[key] !== undefined && !known.includes(key)) throw new FieldError(key, `is not an option of model '${model}'`);
  }
}

/** The entries of `input` whose keys `schema` has. */
function pick(input: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => input[k] !== undefined).map((k) => [k, input[k]]));
}

/** A model's own options from `input`, checked and with their defaults. */
export function parseOptions<S extends z.ZodObject>(schema: S, input: Record<string, unknown>): z.output<S> {
  return parseRequest(schema, pick(input, Object.keys(schema.shape)));
}

export interface CommonDefaults {
  hidden: number[];
  latent: number;
  activation: Activation;
  arch?: Architecture;
}

/**
 * Each model's default code size and hidden widths are written for MNIST (784
 * pixels), where they stay as they are. A smaller input would get a code as
 * wide as the data (no bottleneck) and hidden layers wider than the input, so
 * for an input of `features` values:
 *   code    at most a quarter of the input: min(latent, max(1, ⌊features / 4⌋));
 *   hidden  never wider than the input: every width times
 *           min(1, features / first width), rounded, and not below the code.
 * A 30-column table thus gets 30-30-15-7 from `ae` (512, 256, 32) and 30-30-7
 * from `vae` (400, 20). What the user gives is kept as given.
 */
export function sizedLatent(latent: number, features: number): number {
  return Math.min(latent, Math.max(1, Math.floor(features / 4)));
}

/** Default hidden widths for `features` inputs and a code of `latent` units; see {@link sizedLatent}. */
export function sizedHidden(hidden: readonly number[], features: number, latent: number): number[] {
  const scale = Math.min(1, features / hidden[0]!);
  return hidden.map((w) => Math.max(latent, Math.round(w * scale)));
}

/** The shared fields, from user input over the model's defaults (sized to the input, see {@link sizedLatent}). */
export function resolveCommon(model: string, input: Record<string, unknown>, data: DataInfo, defaults: CommonDefaults): CommonConfig {
  const given = parseRequest(commonSchema, pick(input, Object.keys(COMMON_FIELDS)));
  for (const d of data.shape) if (!Number.isInteger(d) || d < 1) throw new FieldError('inputShape', `must be positive integers, got ${data.shape.join('×')}`);
  const arch = given.arch ?? defaults.arch ?? 'mlp';
  const features = data.shape[0] * data.shape[1] * data.shape[2];
  const latent = given.latent ?? sizedLatent(defaults.latent, features);
  return {
    model,
    arch,
    inputShape: [...data.shape],
    numClasses: data.numClasses,
    hidden: given.hidden ?? sizedHidden(defaults.hidden, features, latent),
    latent,
    activation: given.activation ?? defaults.activation,
    ...convFields(arch, given),
  };
}

/** The conv fields of a config: filled in for --arch conv, refused for any other architecture. */
function convFields(arch: Architecture, given: Partial<Pick<CommonConfig, 'convFilters' | 'batchNorm' | 'dropout'>>): Partial<CommonConfig> {
  if (arch !== 'conv') {
    // An explicit "off" (--dropout 0) is harmless; anything else would be silently ignored.
    const key = (['convFilters', 'batchNorm', 'dropout'] as const).find((k) => given[k] !== undefined && given[k] !== CONV_DEFAULTS[k]);
    if (key) throw new FieldError(key, `applies to {{arch}} conv only, not ${arch}`);
    return {};
  }
  return {
    convFilters: given.convFilters ?? CONV_DEFAULTS.convFilters,
    batchNorm: given.batchNorm ?? CONV_DEFAULTS.batchNorm,
    dropout: given.dropout ?? CONV_DEFAULTS.dropout,
  };
}
