/**
 * Finds the built-in models: every folder under src/models whose index module
 * exports a `definition` is registered. A new model is a new folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { registerModel } from './registry.js';
import type { ModelDefinition } from './types.js';

let loaded: Promise<void> | undefined;

async function importModelFolders(): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  const extension = path.extname(here); // .js when built, .ts under the test runner
  const root = path.dirname(here);
  const folders = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory());
  for (const folder of folders.sort((a, b) => a.name.localeCompare(b.name))) {
    const entry = path.join(root, folder.name, `index${extension}`);
    if (!fs.existsSync(entry)) continue;
    const module = (await import(pathToFileURL(entry).href)) as { definition?: ModelDefinition };
    if (module.definition) registerModel(module.definition);
  }
}

/** Register every built-in model (once). */
export function loadBuiltinModels(): Promise<void> {
  loaded ??= importModelFolders();
  return loaded;
}
