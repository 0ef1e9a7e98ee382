/**
 * name → model definition. Models register themselves from their own folder,
 * so adding one touches no code here.
 */
import { UsageError } from '../errors.js';
import type { CommonConfig, ModelDefinition } from './types.js';

const registry = new Map<string, ModelDefinition>();

export function registerModel<C extends CommonConfig>(definition: ModelDefinition<C>): ModelDefinition<C> {
  if (registry.has(definition.name) && registry.get(definition.name) !== (definition as unknown)) {
    throw new Error(`model '${definition.name}' is registered twice`);
  }
  registry.set(definition.name, definition as unknown as ModelDefinition);
  return definition;
}

export function getModelDefinition(name: string): ModelDefinition {
  const definition = registry.get(name);
  if (!definition) {
    throw new UsageError(`unknown model '${name}' (available: ${listModelNames().join(', ')})`);
  }
  return definition;
}

export function listModelNames(): string[] {
  return [...registry.keys()].sort();
}

export function listModelDefinitions(): ModelDefinition[] {
  return listModelNames().map((name) => registry.get(name)!);
}
