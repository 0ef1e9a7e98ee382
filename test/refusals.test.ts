/**
 * Every numeric option of every command refuses values outside its range
 * (zero or negative counts, rates and sizes, fractions outside theirs) with
 * exit code 2 and one line naming the flag, before anything is written. The
 * cases come from the request schemas themselves, so a new option is covered
 * as soon as it exists.
 */
import * as fs from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/commands.js';
import type { FlagSpec } from '../src/cli/flags.js';
import { main } from '../src/cli/main.js';
import { commandFlags } from '../src/cli/parse.js';
import { listModelDefinitions } from '../src/core/models/registry.js';
import { tempDir } from './helpers.js';

/** The arguments that make each command (and action) otherwise complete. */
const BASE: Record<string, string[]> = {
  train: ['train'],
  sample: ['sample', '--run', 'R', '--out', 'o.png'],
  reconstruct: ['reconstruct', '--run', 'R', '--out', 'o.png'],
  encode: ['encode', '--run', 'R', '--out', 'o.csv'],
  eval: ['eval', '--run', 'R'],
  plot: ['plot', 'samples', '--run', 'R', '--out', 'o.png'],
  report: ['report', '--run', 'R', '--out', 'o.html'],
  'detect fit': ['detect', 'fit', '--out', 'R'],
  'detect score': ['detect', 'score', '--run', 'R', '--out', 'o.csv'],
  denoise: ['denoise', '--run', 'R', '--out', 'o.png'],
  impute: ['impute', '--run', 'R', '--out', 'o.png'],
  'search index': ['search', 'index', '--run', 'R'],
  'search query': ['search', 'query', '--run', 'R', '--query', '1'],
  'search evaluate': ['search', 'evaluate', '--run', 'R'],
  compress: ['compress', '--run', 'R', '--out', 'o.lkz'],
  decompress: ['decompress', '--run', 'R', '--input', 'c.lkz', '--out', 'o.png'],
  edit: ['edit', '--run', 'R', '--attribute', 'label:1', '--out', 'o.png'],
  interpolate: ['interpolate', '--run', 'R', '--out', 'o.png'],
};

/** Values just outside a range written like "≥ 1 and ≤ 16" or "> 0". */
function outside(spec: FlagSpec): string[] {
  const values: string[] = [];
  for (const part of (spec.range ?? '').split(' and ')) {
    const m = /^([≥>≤<]) (-?[\d.e+]+)$/.exec(part);
    if (!m) continue;
    const bound = Number(m[2]);
    const step = spec.type === 'integer' || spec.itemType === 'integer' ? 1 : Math.max(1e-3, Math.abs(bound) * 1e-3);
    if (m[1] === '≥') values.push(String(bound - step));
    if (m[1] === '>') values.push(String(bound));
    if (m[1] === '≤') values.push(String(bound + step));
    if (m[1] === '<') values.push(String(bound));
  }
  // A list is refused when any of its items is.
  return spec.type === 'list' ? values.map((v) => `${spec.itemType === 'string' ? 'a' : '1'},${v}`) : values;
}

const models = listModelDefinitions();
const cases: [string, string, string[]][] = [];
for (const [name, base] of Object.entries(BASE)) {
  const command = COMMANDS.find((c) => c.name === base[0])!;
  for (const spec of commandFlags(command, models)) {
    for (const value of outside(spec)) cases.push([name, `--${spec.name} ${value}`, [...base, `--${spec.name}`, value]]);
  }
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('out-of-range numbers', () => {
  it('covers every command, with the common ranges among them', () => {
    const names = new Set(cases.map(([name]) => name));
    expect([...names].sort()).toEqual(Object.keys(BASE).sort());
    const flags = new Set(cases.map(([, flag]) => flag.split(' ')[0]));
    for (const flag of ['--epochs', '--batch-size', '--lr', '--latent', '--hidden', '--limit', '--n', '--bits', '--contamination', '--quantile', '--neighbors', '--iwae', '--steps', '--grid', '--max-iter', '--tol', '--beta', '--rho', '--k', '--threads', '--workers', '--seed', '--classes', '--from']) {
      expect(flags.has(flag), flag).toBe(true);
    }
    expect(cases.length).toBeGreaterThan(150);
  });

  it.each(cases)('%s %s: exit 2, one line naming the flag, nothing written', async (_name, flag, argv) => {
    const dir = tempDir('latentkit-refuse-');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const stdout = new Capture();
      const stderr = new Capture();
      const code = await main(argv, { stdout, stderr });
      expect(code, stderr.text).toBe(2);
      const lines = stderr.text.trim().split('\n');
      expect(lines, stderr.text).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^latentkit: error: ${flag.split(' ')[0]} `));
      expect(stdout.text).toBe('');
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });
});
