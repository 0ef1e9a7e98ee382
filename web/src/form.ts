/**
 * The training form's fields, derived in the worker from the same request
 * schema the CLI and the service use: types, ranges, defaults, descriptions.
 */
import { z } from 'zod';
import { datasetNames, listModelDefinitions, trainRequestSchema } from 'latentkit/browser';
import type { FormField } from './protocol';

/** The fields the lab shows, in order (others keep their defaults). */
const SHOWN = ['dataset', 'model', 'latent', 'hidden', 'arch', 'epochs', 'batchSize', 'lr', 'limit', 'seed'];

type JsonSchema = { type?: string; minimum?: number; maximum?: number; exclusiveMinimum?: number; default?: unknown; enum?: string[]; description?: string; items?: JsonSchema; anyOf?: JsonSchema[] };

function fieldOf(key: string, schema: JsonSchema): FormField {
  const inner = schema.anyOf?.find((s) => s.type !== 'null') ?? schema;
  const type: FormField['type'] = inner.enum ? 'enum' : inner.type === 'array' ? 'list' : inner.type === 'integer' ? 'integer' : inner.type === 'number' ? 'number' : inner.type === 'boolean' ? 'boolean' : 'string';
  return { key, type, description: schema.description ?? inner.description, default: schema.default ?? inner.default, minimum: inner.minimum ?? inner.exclusiveMinimum, maximum: inner.maximum, choices: inner.enum };
}

export function formFields(): { fields: FormField[]; models: { name: string; summary: string }[]; datasets: string[] } {
  const models = listModelDefinitions();
  const json = z.toJSONSchema(trainRequestSchema(models), { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, JsonSchema> };
  const common = SHOWN.filter((k) => json.properties[k]).map((k) => fieldOf(k, json.properties[k]!));
  // Each model's own options, shown when that model is chosen.
  const own = new Map<string, FormField>();
  for (const m of models) {
    for (const key of Object.keys(m.options.shape)) {
      if (SHOWN.includes(key) || !json.properties[key]) continue;
      const field = own.get(key) ?? fieldOf(key, json.properties[key]!);
      field.models = [...(field.models ?? []), m.name];
      own.set(key, field);
    }
  }
  const dataset = common.find((f) => f.key === 'dataset');
  // shapes:32 is the colour dataset at a size that trains in seconds in a page.
  const builtIn = ['sprites', 'shapes', 'shapes:32', 'mnist', 'fashion-mnist'];
  if (dataset) Object.assign(dataset, { type: 'enum', choices: builtIn.filter((d) => datasetNames().includes(d.split(':')[0]!)), default: 'sprites' });
  const model = common.find((f) => f.key === 'model');
  if (model) Object.assign(model, { type: 'enum', choices: models.map((m) => m.name), default: 'vae' });
  return { fields: [...common, ...own.values()], models: models.map((m) => ({ name: m.name, summary: m.summary })), datasets: datasetNames() };
}
