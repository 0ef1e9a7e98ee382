/** Help text, generated from the option table and the model registry. */
import type { ModelDefinition } from '../core/models/types.js';
import { commandOptionSpecs } from './parse.js';
import { COMMANDS, type CommandSpec, type OptionSpec } from './options.js';

function optionLine(spec: OptionSpec): string {
  const flag = `--${spec.name}${spec.arg ? ` ${spec.arg}` : spec.type === 'boolean' ? '' : ' VALUE'}`;
  const extras = [spec.choices ? `one of ${spec.choices.join('|')}` : '', spec.default !== undefined ? `default ${spec.default}` : ''].filter(Boolean).join('; ');
  return `  ${flag.padEnd(26)} ${spec.description}${extras ? ` (${extras})` : ''}`;
}

export function generalHelp(version: string): string {
  const lines = [`latentkit ${version}: autoencoders and variational autoencoders for TypeScript`, '', 'Usage: latentkit <command> [options]', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(12)} ${c.summary}`);
  lines.push('', "Run 'latentkit <command> --help' for a command's options.", 'Exit codes: 0 success, 2 bad usage or bad input, 1 unexpected failure, 130 interrupted.');
  return `${lines.join('\n')}\n`;
}

export function commandHelp(command: CommandSpec, models: readonly ModelDefinition[] = []): string {
  const lines = [`latentkit ${command.name}: ${command.summary}`, '', `Usage: ${command.usage}`, '', 'Options:'];
  const own = commandOptionSpecs(command);
  for (const spec of own) lines.push(optionLine(spec));
  if (command.modelOptions && models.length > 0) {
    lines.push('', 'Models (--model):');
    for (const m of models) lines.push(`  ${m.name.padEnd(12)} ${m.summary}`);
    for (const m of models) {
      if (m.options.length === 0) continue;
      lines.push('', `Options of --model ${m.name}:`);
      for (const o of m.options) lines.push(optionLine({ name: o.flag, type: o.type === 'integer' ? 'integer' : o.type === 'number' ? 'number' : 'string', description: o.description, choices: o.choices }));
    }
  }
  return `${lines.join('\n')}\n`;
}
