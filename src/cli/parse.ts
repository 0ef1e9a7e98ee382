/** Turning argv into a command and typed option values (no command runs here). */
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';
import type { ConfigOption } from '../core/models/types.js';
import { COMMANDS, findCommand, findOption, type CommandSpec, type OptionSpec, type OptionValues } from './options.js';

export interface ParsedCommandLine {
  command?: CommandSpec;
  values: OptionValues;
  positionals: string[];
  help: boolean;
}

/** Model options (from the registry) in the option-table shape; a flag shared by models appears once. */
export function modelOptionSpecs(options: readonly ConfigOption[]): OptionSpec[] {
  const byName = new Map<string, OptionSpec>();
  for (const o of options) {
    if (byName.has(o.flag)) continue;
    const type = o.type === 'integer' ? 'integer' : o.type === 'number' ? 'number' : 'string';
    byName.set(o.flag, { name: o.flag, type, description: o.description, choices: o.choices });
  }
  return [...byName.values()];
}

function convert(spec: OptionSpec, raw: string | boolean): string | number | boolean {
  if (spec.type === 'boolean') return raw;
  const text = String(raw);
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(text)) throw new UsageError(`--${spec.name} must be one of ${spec.choices.join(', ')}, got '${text}'`);
    return text;
  }
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`--${spec.name} must be a number, got '${text}'`);
  if (spec.type === 'integer' && !Number.isInteger(value)) throw new UsageError(`--${spec.name} must be an integer, got '${text}'`);
  return value;
}

function explainParseError(err: unknown, command: CommandSpec): UsageError {
  const message = (err as Error).message;
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return new UsageError(`unknown option '${unknown[1]}' for 'latentkit ${command.name}' (see latentkit ${command.name} --help)`);
  const missing = /Option '([^']+)' argument missing/.exec(message);
  if (missing) return new UsageError(`option '${missing[1].split(',').pop()!.trim().split(' ')[0]}' needs a value`);
  return new UsageError(message.split('\n')[0]);
}

/** `--lr -1` → `--lr=-1`: node's parseArgs takes a value starting with '-' for an option, so negative numbers need joining. */
function joinNegativeNumbers(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (args[i].startsWith('--') && !args[i].includes('=') && next !== undefined && /^-\d|^-\.\d/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

/**
 * Parse `argv` (without node and script). `modelOptions` are the registered
 * models' flags, needed only for commands that train.
 */
export function parseCommandLine(argv: readonly string[], modelOptions: readonly ConfigOption[] = []): ParsedCommandLine {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    return { values: {}, positionals: [], help: true, command: first === 'help' && rest[0] ? findCommand(rest[0]) : undefined };
  }
  if (first === '--version' || first === '-v') return { values: { version: true }, positionals: [], help: false };
  const command = findCommand(first);
  if (!command) throw new UsageError(`unknown command '${first}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
  const specs = commandOptionSpecs(command, modelOptions);
  const config = Object.fromEntries(specs.map((s) => [s.name, { type: s.type === 'boolean' ? 'boolean' : 'string' }])) as Record<string, { type: 'boolean' | 'string' }>;
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(rest), options: config, strict: true, allowPositionals: true });
  } catch (err) {
    throw explainParseError(err, command);
  }
  const values: OptionValues = {};
  for (const spec of specs) {
    const raw = parsed.values[spec.name];
    if (raw !== undefined) values[spec.name] = convert(spec, raw as string | boolean);
  }
  const help = values.help === true;
  if (!help) checkPositionals(command, parsed.positionals);
  return { command, values, positionals: parsed.positionals, help };
}

export function commandOptionSpecs(command: CommandSpec, modelOptions: readonly ConfigOption[] = []): OptionSpec[] {
  const own = command.options.map(findOption);
  return command.modelOptions ? [...own, ...modelOptionSpecs(modelOptions).filter((m) => !own.some((o) => o.name === m.name))] : own;
}

function checkPositionals(command: CommandSpec, positionals: string[]): void {
  const expected = command.positionals ?? [];
  if (positionals.length > expected.length) {
    throw new UsageError(`unexpected argument '${positionals[expected.length]}' for 'latentkit ${command.name}'`);
  }
  expected.forEach((p, i) => {
    const value = positionals[i];
    if (value === undefined) throw new UsageError(`'latentkit ${command.name}' needs ${p.name}${p.choices ? ` (one of ${p.choices.join(', ')})` : ''}`);
    if (p.choices && !p.choices.includes(value)) throw new UsageError(`${p.name} must be one of ${p.choices.join(', ')}, got '${value}'`);
  });
}

/** A required option, or a UsageError naming it. */
export function requireOption<T extends string | number>(values: OptionValues, name: string, command: string): T {
  const value = values[name];
  if (value === undefined || value === '') throw new UsageError(`'latentkit ${command}' needs --${name}`);
  return value as T;
}
