/** Help text, generated from the command table, the request schemas and the model registry. */
import type { ModelDefinition } from '../core/models/types.js';
import { COMMANDS, type CommandSpec } from './commands.js';
import { flagsOf, type FlagSpec } from './flags.js';
import { commandFlags } from './parse.js';

/** What a flag accepts, in words: its choices, range, default. */
export function flagExtras(spec: FlagSpec): string {
  const accepts = spec.choices ? `one of ${spec.choices.join('|')}` : spec.range ? `${spec.type === 'list' ? 'each ' : ''}${spec.range}${spec.words?.length ? ` or ${spec.words.join('|')}` : ''}` : '';
  return [accepts, spec.defaultText !== undefined ? `default ${spec.defaultText}` : ''].filter(Boolean).join('; ');
}

function flagLine(spec: FlagSpec): string {
  const flag = `--${spec.name}${spec.type === 'boolean' ? '' : ` ${spec.arg ?? 'VALUE'}`}`;
  const extras = flagExtras(spec);
  return `  ${flag.padEnd(26)} ${spec.description}${extras ? ` (${extras})` : ''}`;
}

export function generalHelp(version: string): string {
  const lines = [`latentkit ${version}: autoencoders and variational autoencoders for TypeScript`, '', 'Usage: latentkit <command> [options]', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(12)} ${c.summary}`);
  lines.push('', "Run 'latentkit <command> --help' for a command's options.", 'Exit codes: 0 success, 2 bad usage or bad input, 1 unexpected failure, 130 interrupted.');
  return `${lines.join('\n')}\n`;
}

/** Flags of the command itself, without the models' own options. */
function ownFlags(command: CommandSpec, models: readonly ModelDefinition[]): FlagSpec[] {
  const modelKeys = new Set(models.flatMap((m) => Object.keys(m.options.shape)));
  return commandFlags(command, models).filter((f) => !modelKeys.has(f.key));
}

export function commandHelp(command: CommandSpec, models: readonly ModelDefinition[] = []): string {
  const lines = [`latentkit ${command.name}: ${command.summary}`, '', `Usage: ${command.usage}`, '', 'Options:'];
  for (const spec of ownFlags(command, models)) lines.push(flagLine(spec));
  if (command.models && models.length > 0) {
    lines.push('', 'Models (--model):');
    for (const m of models) lines.push(`  ${m.name.padEnd(12)} ${m.summary}`);
    for (const m of models) {
      const flags = flagsOf(m.options.shape);
      if (flags.length === 0) continue;
      lines.push('', `Options of --model ${m.name}:`);
      for (const spec of flags) lines.push(flagLine(spec));
    }
  }
  return `${lines.join('\n')}\n`;
}
