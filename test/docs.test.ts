import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { renderCliMarkdown } from '../src/cli/docs.js';
import { listModelDefinitions } from '../src/core/models/registry.js';
import { VERSION } from '../src/core/version.js';

it('docs/cli.md matches the option table and the registry (run `npm run docs` after changing either)', async () => {
  const committed = fs.readFileSync(path.resolve(__dirname, '../docs/cli.md'), 'utf8');
  expect(committed).toBe(renderCliMarkdown(listModelDefinitions()));
});

it('every relative link and picture in README.md and docs/ points at a file that exists', () => {
  const root = path.resolve(__dirname, '..');
  const files = ['README.md', ...fs.readdirSync(path.join(root, 'docs'), { recursive: true }).map(String).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];
  const missing: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
      if (!fs.existsSync(path.resolve(root, path.dirname(file), target))) missing.push(`${file}: ${target}`);
    }
  }
  expect(missing).toEqual([]);
});

it("VERSION (which the core states, reading no files) is package.json's version", () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../package.json'), 'utf8')) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
