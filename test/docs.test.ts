import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { renderCliMarkdown } from '../src/cli/docs.js';
import { loadBuiltinModels } from '../src/models/discover.js';
import { listModelDefinitions } from '../src/models/registry.js';

it('docs/cli.md matches the option table and the registry (run `npm run docs` after changing either)', async () => {
  await loadBuiltinModels();
  const committed = fs.readFileSync(path.resolve(__dirname, '../docs/cli.md'), 'utf8');
  expect(committed).toBe(renderCliMarkdown(listModelDefinitions()));
});
