/** docs/cli.md, generated from the same command table and schemas that drive parsing and --help. */
import type { ModelDefinition } from '../core/models/types.js';
import { COMMANDS } from './commands.js';
import { flagsOf, type FlagSpec } from './flags.js';
import { flagExtras } from './help.js';
import { commandFlags } from './parse.js';

function row(spec: FlagSpec): string {
  const flag = `\`--${spec.name}${spec.type === 'boolean' ? '' : ` ${spec.arg ?? 'VALUE'}`}\``;
  const extras = flagExtras(spec);
  return `| ${flag} | ${spec.description.replace(/\|/g, '\\|')}${extras ? ` (${extras.replace(/\|/g, '\\|')})` : ''} |`;
}

export function renderCliMarkdown(models: readonly ModelDefinition[]): string {
  const out = ['# latentkit command line', '', 'Generated from the command table in `src/cli/commands.ts`, the request schemas in `src/core/requests/` and the model registry (`npm run docs`); `latentkit <command> --help` prints the same.', ''];
  const modelKeys = new Set(models.flatMap((m) => Object.keys(m.options.shape)));
  for (const command of COMMANDS) {
    out.push(`## latentkit ${command.name}`, '', `${command.summary}.`, '', '```', command.usage, '```', '', '| option | meaning |', '| --- | --- |');
    for (const spec of commandFlags(command, models).filter((f) => !modelKeys.has(f.key))) out.push(row(spec));
    out.push('');
  }
  out.push('## Models', '', 'Model-specific options of `latentkit train` (and `detect fit`):', '');
  for (const m of models) {
    out.push(`### --model ${m.name}`, '', `${m.summary}.`, '');
    const flags = flagsOf(m.options.shape);
    if (flags.length > 0) {
      out.push('| option | meaning |', '| --- | --- |');
      for (const spec of flags) out.push(row(spec));
      out.push('');
    }
  }
  out.push('## Exit codes', '', '0 success; 2 bad usage or bad input (one line on stderr); 1 unexpected failure; 130 interrupted (Ctrl-C).', '');
  return out.join('\n');
}
