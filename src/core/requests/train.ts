/**
 * A training request: which model, on which data, for how long. The model's
 * own settings (beta, noise, k, ...) come from the registry, so the schema is
 * built from the registered models (`trainRequestSchema`).
 */
import { z } from 'zod';
import { COMMON_FIELDS } from '../models/shared/config.js';
import type { ModelDefinition } from '../models/types.js';
import { count, described, engineFields, seed } from './fields.js';
import { trainingDataFields } from './data.js';
import { BINARIZE_MODES } from './jobs.js';

export const trainingFields = {
  epochs: count({ description: 'training epochs' }, 100_000).default(10),
  batchSize: count({ description: 'examples per optimizer step' }, 65_536).default(128),
  lr: described(z.number().gt(0).max(10).default(1e-3), { arg: 'RATE', description: 'Adam learning rate' }),
  seed,
  workers: count({ description: 'data-parallel training replicas, one thread each (default 1, or $LATENTKIT_WORKERS; on 2 cores the shared products of threads measured faster)' }, 256).optional(),
  binarize: described(z.enum(BINARIZE_MODES).default('none'), {
    arg: 'MODE',
    description: 'pixels as 0/1: static thresholds at 0.5 once; dynamic draws every pixel afresh from Bernoulli(x) each time a batch is seen (the test split is drawn once, seeded)',
  }),
  validation: described(z.number().gt(0).lt(1), {
    arg: 'FRACTION',
    description: 'early stopping: hold out this fraction of the training rows (seeded), measure the loss on them after each epoch, stop after --patience epochs without a lower one and keep the weights of the best epoch (--epochs is then the most); default none, every row trained on (detect fit: 0.2 on small data)',
  }).optional(),
  patience: count({ description: 'with --validation: epochs without a lower held-out loss before training stops', defaultText: '10 (detect fit: about 100 optimizer steps)' }, 100_000).optional(),
};

/** Everything but the model's own settings. */
export const trainBaseFields = {
  model: described(z.string().min(1).default('vae'), { arg: 'NAME', description: 'model to train (see the model list)' }),
  ...Object.fromEntries(Object.entries(COMMON_FIELDS).map(([k, v]) => [k, v.optional()])),
  ...trainingDataFields,
  ...trainingFields,
  ...engineFields,
} as { model: z.ZodDefault<z.ZodString> } & { [K in keyof typeof COMMON_FIELDS]: z.ZodOptional<(typeof COMMON_FIELDS)[K]> } & typeof trainingDataFields & typeof trainingFields & typeof engineFields;

/** A model option as it appears in a request: optional, its default applied by the model itself. */
function optionalOption(field: z.ZodType): z.ZodType {
  const inner = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field;
  return inner.meta(field.meta() ?? {}).optional();
}

/** The options of the given models, merged (the registry guarantees a shared name is one field). */
export function modelOptionFields(models: readonly ModelDefinition[]): Record<string, z.ZodType> {
  const fields: Record<string, z.ZodType> = {};
  for (const m of models) for (const [k, v] of Object.entries(m.options.shape)) fields[k] ??= optionalOption(v as z.ZodType);
  return fields;
}

/** The schema of a training request for these models (the registered ones, normally). */
export function trainRequestSchema(models: readonly ModelDefinition[]) {
  const names = models.map((m) => m.name) as [string, ...string[]];
  return z.strictObject({ ...trainBaseFields, model: trainBaseFields.model.pipe(z.enum(names)), ...modelOptionFields(models) });
}

export type TrainRequest = z.output<z.ZodObject<typeof trainBaseFields>> & Record<string, unknown>;
export type TrainRequestInput = z.input<z.ZodObject<typeof trainBaseFields>> & Record<string, unknown>;

/** Keys of a training request that are not the model's settings. */
export const TRAINING_KEYS: ReadonlySet<string> = new Set([...Object.keys(trainingDataFields), ...Object.keys(trainingFields), ...Object.keys(engineFields)]);

/** The model's settings in a training request: the shared model fields and the model's options. */
export function modelInputOf(request: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(request).filter(([k, v]) => v !== undefined && k !== 'model' && !TRAINING_KEYS.has(k)));
}
