/**
 * Field schemas that several requests share. Each carries its range, its
 * default and its help text; `arg` is the placeholder shown in help (N, LIST).
 * Request keys are camelCase; the CLI spells them as kebab-case flags.
 */
import { z } from 'zod';
import { BACKEND_CHOICES } from '../backend/choices.js';
import { SPLITS } from '../data/types.js';

/** Help metadata every field may carry. */
export interface FieldMeta {
  description: string;
  /** Placeholder in help: `--epochs N`. */
  arg?: string;
  /** Default that depends on something else (shown in help, not applied by the schema). */
  defaultText?: string;
}

/** Attach help metadata. */
export const described = <T extends z.ZodType>(schema: T, meta: FieldMeta): T => schema.meta(meta as unknown as Record<string, unknown>) as T;

/** A positive whole number (counts, sizes). */
export const count = (meta: FieldMeta, max?: number) => described(max === undefined ? z.int().min(1) : z.int().min(1).max(max), { arg: 'N', ...meta });

// The run a command applies to.
export const run = described(z.string().min(1), { arg: 'RUN', description: 'a run folder written by latentkit train' });

export const seed = described(z.int().min(0).max(2 ** 31 - 1).default(0), { arg: 'N', description: 'random seed; the same seed gives the same result' });

export const label = described(z.int().min(0), { arg: 'L', description: 'class to generate or decode with (conditional models)' });

export const split = described(z.enum(SPLITS), { arg: 'SPLIT', description: 'which split to use' });

export const iwaeSamples = count({ arg: 'K', description: 'importance samples for the log p(x) estimate (VAE family)' }, 1_000_000);

export const pathKind = described(z.enum(['line', 'great-circle']).default('line'), { arg: 'KIND', description: 'straight line or great circle (slerp) between the two codes' });

export const backend = described(z.enum(BACKEND_CHOICES).default('auto'), { arg: 'NAME', description: 'TensorFlow.js backend' });

/** Where and how the computation runs; every command takes these. */
export const engineFields = {
  backend,
  threads: count({ description: 'threads for large matrix products on wasm (default: every core, or $LATENTKIT_THREADS)' }, 1024).optional(),
};
