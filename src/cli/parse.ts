/** Turning argv into a command and a checked request (no command runs here). */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import type { ModelDefinition } from '../core/models/types.js';
import { parseRequest } from '../core/requests/validate.js';
import { CLI_KEYS, COMMANDS, findCommand, type CliFlags, type CommandSpec } from './commands.js';
import { flagsOf, requestFrom, type FlagSpec } from './flags.js';

export interface ParsedCommandLine {
  command?: CommandSpec;
  /** The job's request: flag values under their request keys, checked, defaults filled in. */
  request: Record<string, unknown>;
  /** The CLI's own flags (--out, --json, --quiet, ...). */
  cli: CliFlags;
  positionals: string[];
  help: boolean;
  version: boolean;
}

/** The flags of a command (its request's fields, the models' options for training commands, the CLI's own). */
export function commandFlags(command: CommandSpec, models: readonly ModelDefinition[] = []): FlagSpec[] {
  return flagsOf(command.shape(models));
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

function checkPositionals(command: CommandSpec, positionals: string[]): void {
  const expected = command.positionals ?? [];
  if (positionals.length > expected.length) throw new UsageError(`unexpected argument '${positionals[expected.length]}' for 'latentkit ${command.name}'`);
  expected.forEach((p, i) => {
    const value = positionals[i];
    if (value === undefined) throw new UsageError(`'latentkit ${command.name}' needs ${p.name}${p.choices ? ` (one of ${p.choices.join(', ')})` : ''}`);
    if (p.choices && !p.choices.includes(value)) throw new UsageError(`${p.name} must be one of ${p.choices.join(', ')}, got '${value}'`);
  });
}

/**
 * Parse `argv` (without node and script) and check it against the command's
 * request schema. `models` are the registered models, needed only by
 * commands that train (their options are flags).
 */
export function parseCommandLine(argv: readonly string[], models: readonly ModelDefinition[] = []): ParsedCommandLine {
  const [first, ...rest] = argv;
  const none = { request: {}, cli: {}, positionals: [], help: false, version: false };
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { ...none, help: true, command: first === 'help' && rest[0] ? findCommand(rest[0]) : undefined };
  if (first === '--version' || first === '-v') return { ...none, version: true };
  const command = findCommand(first);
  if (!command) throw new UsageError(`unknown command '${first}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
  const specs = commandFlags(command, models);
  // A list flag may also be repeated (`--run a=x --run b=y`): its values join as one comma list.
  const options = Object.fromEntries(specs.map((s) => [s.name, { type: s.type === 'boolean' ? 'boolean' : 'string', multiple: s.type === 'list' }])) as Record<string, { type: 'boolean' | 'string'; multiple: boolean }>;
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(rest), options, strict: true, allowPositionals: true });
  } catch (err) {
    throw explainParseError(err, command);
  }
  if (parsed.values.help === true) return { ...none, command, help: true };
  checkPositionals(command, parsed.positionals);
  const values = Object.fromEntries(Object.entries(parsed.values).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
  const given = requestFrom(specs, values as Record<string, string | boolean | undefined>);
  // Types and ranges first, whichever action the flags select; then what the action requires.
  parseRequest(z.object(command.shape(models)).partial(), given);
  const schema = command.schema({ positionals: parsed.positionals, given: new Set(Object.keys(given)), models });
  const checked = parseRequest(schema, given) as Record<string, unknown>;
  const request = Object.fromEntries(Object.entries(checked).filter(([k]) => !CLI_KEYS.has(k)));
  const cli = Object.fromEntries(Object.entries(checked).filter(([k]) => CLI_KEYS.has(k))) as CliFlags;
  return { command, request, cli, positionals: parsed.positionals, help: false, version: false };
}
