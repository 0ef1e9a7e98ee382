/**
 * name → model definition. The built-in models are registered when this
 * module loads, so `getModelDefinition('vae')` works after any import.
 */
import { UsageError } from '../errors.js';
import { BUILTIN_MODELS } from './builtin.js';
import { TRAINING_KEYS } from '../requests/train.js';
import { COMMON_FIELDS } from './shared/config.js';
import type { CommonConfig, ModelDefinition } from './types.js';

const registry = new Map<string, ModelDefinition>();

/** Field names no model may declare: what a training request itself owns. */
const reserved: ReadonlySet<string> = new Set(['model', ...TRAINING_KEYS]);

/**
 * The registered model that already owns option `name` with a different
 * field, if any. Models may share a field (cvae takes the VAE's) only as the
 * very same schema, so one flag never means two things.
 */
function conflictOf(definition: ModelDefinition, name: string): ModelDefinition | undefined {
  const field = definition.options.shape[name];
  return [...registry.values()].find((other) => other.name !== definition.name && Object.hasOwn(other.options.shape, name) && other.options.shape[name] !== field);
}

/**
 * Add a model. Refuses a second definition under the same name, an option
 * named like a shared field, and an option another model declares differently.
 */
export function registerModel<C extends CommonConfig>(definition: ModelDefinition<C>): ModelDefinition<C> {
  const d = definition as unknown as ModelDefinition;
  const existing = registry.get(d.name);
  if (existing === d) return definition;
  if (existing) throw new Error(`model '${d.name}' is registered twice`);
  for (const name of Object.keys(d.options.shape)) {
    if (Object.hasOwn(COMMON_FIELDS, name) || reserved.has(name)) throw new Error(`model '${d.name}' declares option '${name}', which is reserved`);
    const other = conflictOf(d, name);
    if (other) throw new Error(`model '${d.name}' declares option '${name}', which model '${other.name}' already declares differently`);
  }
  registry.set(d.name, d);
  return definition;
}

export function getModelDefinition(name: string): ModelDefinition {
  const definition = registry.get(name);
  if (!definition) throw new UsageError(`unknown model '${name}' (available: ${listModelNames().join(', ')})`);
  return definition;
}

export function listModelNames(): string[] {
  return [...registry.keys()].sort();
}

export function listModelDefinitions(): ModelDefinition[] {
  return listModelNames().map((name) => registry.get(name)!);
}

for (const definition of BUILTIN_MODELS) registerModel(definition);
