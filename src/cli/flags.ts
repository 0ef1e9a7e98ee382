/**
 * Flags from schemas. A command's flags are the fields of its request schema
 * (camelCase keys spelled as kebab-case flags) plus a few of the CLI's own
 * (--out, --json, --quiet); their types, ranges, choices, defaults and help
 * come from the schema's JSON Schema, so the schema is the one source.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { camelCase, kebabCase } from '../core/errors.js';
import { described } from '../core/requests/fields.js';

/** What the CLI needs to know of one flag. */
export interface FlagSpec {
  /** kebab-case name, without dashes. */
  name: string;
  /** Request key (camelCase). */
  key: string;
  /** How the text after the flag becomes a value. */
  type: 'string' | 'number' | 'integer' | 'boolean' | 'list';
  /** The type of each item of a list. */
  itemType?: 'string' | 'number' | 'integer';
  /** A number or one of these words (e.g. --sigma 0.5 or --sigma learned). */
  words?: string[];
  description: string;
  arg?: string;
  choices?: readonly string[];
  defaultText?: string;
  /** The accepted range, in words (≥ 1, in (0, 1]). */
  range?: string;
}

type JsonSchema = {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  description?: string;
  arg?: string;
  defaultText?: string;
};

const LARGEST = Number.MAX_SAFE_INTEGER;

function rangeOf(s: JsonSchema): string | undefined {
  const lo = s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined && s.minimum > -LARGEST ? `≥ ${s.minimum}` : '';
  const hi = s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : s.maximum !== undefined && s.maximum < LARGEST ? `≤ ${s.maximum}` : '';
  if (!lo && !hi) return undefined;
  return [lo, hi].filter(Boolean).join(' and ');
}

function numericType(s: JsonSchema): 'number' | 'integer' | undefined {
  return s.type === 'integer' || s.type === 'number' ? s.type : undefined;
}

/** One field of a schema as a flag. */
export function flagOf(key: string, field: z.ZodType): FlagSpec {
  const json = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const name = kebabCase(key);
  const base = { name, key, description: json.description ?? '', arg: json.arg, defaultText: json.defaultText ?? (json.default !== undefined ? formatDefault(json.default) : undefined) };
  if (json.anyOf) {
    const number = json.anyOf.find((b) => numericType(b));
    const words = json.anyOf.flatMap((b) => (b.const !== undefined ? [String(b.const)] : b.enum ? b.enum.map(String) : []));
    if (number) return { ...base, type: numericType(number)!, words, range: rangeOf(number) };
    return { ...base, type: 'string' };
  }
  if (json.type === 'boolean') return { ...base, type: 'boolean' };
  if (json.type === 'array') {
    const item = json.items ?? {};
    const itemType = numericType(item) ?? 'string';
    return { ...base, type: 'list', itemType, range: rangeOf(item) };
  }
  if (json.enum) return { ...base, type: 'string', choices: json.enum.map(String) };
  const numeric = numericType(json);
  if (numeric) return { ...base, type: numeric, range: rangeOf(json) };
  return { ...base, type: 'string' };
}

function formatDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Every field of a schema shape as flags, in order. */
export function flagsOf(shape: Record<string, z.ZodType>): FlagSpec[] {
  return Object.entries(shape).map(([key, field]) => flagOf(key, field));
}

/** A number from text, or the text itself so the schema names what was wrong. */
function toNumber(text: string): number | string {
  const trimmed = text.trim();
  if (trimmed === '') return text;
  const n = Number(trimmed);
  return Number.isNaN(n) ? text : n;
}

/** The text after a flag as the value its schema expects. */
export function convertFlag(spec: FlagSpec, raw: string | boolean): unknown {
  if (spec.type === 'boolean') return raw;
  const text = String(raw);
  if (spec.type === 'list') {
    const items = text.split(',').map((s) => s.trim());
    if (items.length === 1 && items[0] === '') return [];
    return spec.itemType === 'string' ? items : items.map(toNumber);
  }
  if (spec.type === 'number' || spec.type === 'integer') {
    if (spec.words?.includes(text.trim())) return text.trim();
    return toNumber(text);
  }
  return text;
}

/** Map flag values (by kebab name) to request keys, converted. */
export function requestFrom(specs: readonly FlagSpec[], values: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  for (const spec of specs) {
    const raw = values[spec.name];
    if (raw !== undefined) request[spec.key] = convertFlag(spec, raw);
  }
  return request;
}

/** The request key of a flag name. */
export const keyOf = camelCase;

// The CLI's own fields: where results go and how much is printed.

/**
 * An output file with one of `extensions`, checked before anything runs: not
 * a folder, and its parent not a file.
 */
export function outFile(extensions: readonly string[], description = 'output file') {
  return described(
    z.string().min(1).superRefine((file, ctx) => {
      const problem = outFileProblem(file, extensions);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { problem }, input: file });
    }),
    { arg: 'FILE', description: `${description} (${extensions.join(', ')})` },
  );
}

function outFileProblem(file: string, extensions: readonly string[]): string | undefined {
  const ext = path.extname(file).toLowerCase();
  if (!extensions.includes(ext)) return `must end in ${extensions.join(' or ')}, got '${file}'`;
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) return `${file} is a folder; give a file name`;
  const parent = existingAncestor(path.dirname(path.resolve(file)));
  if (parent && !fs.statSync(parent).isDirectory()) return `cannot be written: ${parent} is a file, not a folder`;
  return undefined;
}

/** The nearest part of `dir` that exists. */
function existingAncestor(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(d)) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/** A folder to create (a new run), checked before anything runs. */
export const outFolder = described(
  z.string().min(1).superRefine((dir, ctx) => {
    const problem = fs.existsSync(dir) && !fs.statSync(dir).isDirectory() ? `${dir} is a file; a run is a folder` : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { problem }, input: dir });
  }),
  { arg: 'DIR', description: 'the run folder to create', defaultText: 'runs/<model>-<dataset>' },
);

export const json = described(z.boolean().optional(), { description: 'print one JSON object' });
export const quiet = described(z.boolean().optional(), { description: 'no progress output' });
export const verbose = described(z.boolean().optional(), { description: 'print stack traces of errors' });
export const help = described(z.boolean().optional(), { description: 'show help' });

/** Flags every command takes besides its request's. */
export const commonCliFields = { quiet, verbose, help };
