#!/usr/bin/env node
// Regenerates docs/cli.md from the option table and the model registry.
import { writeFileSync } from 'node:fs';
import { renderCliMarkdown } from '../dist/cli/docs.js';
import { loadBuiltinModels, listModelDefinitions } from '../dist/index.js';

await loadBuiltinModels();
writeFileSync(new URL('../docs/cli.md', import.meta.url), renderCliMarkdown(listModelDefinitions()));
console.log('wrote docs/cli.md');
