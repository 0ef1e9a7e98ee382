/** docs/cli.md, generated from the same option table that drives parsing and --help. */
import type { ModelDefinition } from '../core/models/types.js';
import { COMMANDS, type OptionSpec } from './options.js';
import { commandOptionSpecs } from './parse.js';

function row(spec: Pick<OptionSpec, 'name' | 'arg' | 'type' | 'description' | 'choices' | 'default'>): string {
  const flag = `\`--${spec.name}${spec.arg ? ` ${spec.arg}` : ''}\``;
  const extras = [spec.choices ? `one of ${spec.choices.map((c) => `\`${c}\``).join(', ')}` : '', spec.default !== undefined ? `default \`${spec.default}\`` : ''].filter(Boolean).join('; ');
  return `| ${flag} | ${spec.description.replace(/\|/g, '\\|')}${extras ? ` (${extras})` : ''} |`;
}

export function renderCliMarkdown(models: readonly ModelDefinition[]): string {
  const out = ['# latentkit command line', '', 'Generated from the option table in `src/cli/options.ts` and the model registry (`npm run docs`); `latentkit <command> --help` prints the same.', ''];
  for (const command of COMMANDS) {
    out.push(`## latentkit ${command.name}`, '', `${command.summary}.`, '', '```', command.usage, '```', '', '| option | meaning |', '| --- | --- |');
    for (const spec of commandOptionSpecs(command)) out.push(row(spec));
    out.push('');
  }
  out.push('## Models', '', 'Model-specific options of `latentkit train`:', '');
  for (const m of models) {
    out.push(`### --model ${m.name}`, '', `${m.summary}.`, '');
    if (m.options.length > 0) {
      out.push('| option | meaning |', '| --- | --- |');
      for (const o of m.options) out.push(row({ name: o.flag, type: 'string', description: o.description, choices: o.choices }));
      out.push('');
    }
  }
  out.push('## Exit codes', '', '0 success; 2 bad usage or bad input (one line on stderr); 1 unexpected failure; 130 interrupted (Ctrl-C).', '');
  return out.join('\n');
}
