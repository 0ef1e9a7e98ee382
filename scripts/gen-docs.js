#!/usr/bin/env node
// Regenerates docs/cli.md from the command table, the request schemas and the model registry.
import { writeFileSync } from 'node:fs';
import { renderCliMarkdown } from '../dist/cli/docs.js';
import { listModelDefinitions } from '../dist/index.js';

writeFileSync(new URL('../docs/cli.md', import.meta.url), renderCliMarkdown(listModelDefinitions()));
console.log('wrote docs/cli.md');
