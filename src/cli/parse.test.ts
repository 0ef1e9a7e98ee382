// Parser tests: nothing here runs a command or loads TensorFlow.js.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { commandHelp, generalHelp } from './help.js';
import { COMMANDS, OPTIONS } from './options.js';
import { parseCommandLine } from './parse.js';

const modelOptions = [
  { flag: 'beta', type: 'number' as const, description: 'KL weight' },
  { flag: 'decoder', type: 'string' as const, description: 'likelihood', choices: ['bernoulli', 'gaussian'] },
];

describe('parseCommandLine', () => {
  it('types the values from the option table', () => {
    const p = parseCommandLine(['train', '--epochs', '3', '--lr', '0.01', '--hidden', '400,400', '--quiet'], modelOptions);
    expect(p.command?.name).toBe('train');
    expect(p.values).toMatchObject({ epochs: 3, lr: 0.01, hidden: '400,400', quiet: true });
  });

  it('takes negative numbers as values, so range checks can name them', () => {
    expect(parseCommandLine(['train', '--beta', '-1'], modelOptions).values.beta).toBe(-1);
    expect(parseCommandLine(['train', '--beta=-0.5', '--epochs', '2'], modelOptions).values).toMatchObject({ beta: -0.5, epochs: 2 });
  });

  it('accepts registered model options on train only', () => {
    expect(parseCommandLine(['train', '--beta', '4'], modelOptions).values.beta).toBe(4);
    expect(() => parseCommandLine(['sample', '--beta', '4'], modelOptions)).toThrow(/unknown option '--beta' for 'latentkit sample'/);
  });

  it('refuses bad values with one clear UsageError', () => {
    const cases: [string[], RegExp][] = [
      [['train', '--epochs', 'ten'], /--epochs must be a number/],
      [['train', '--epochs', '2.5'], /--epochs must be an integer/],
      [['train', '--backend', 'gpu'], /--backend must be one of auto, wasm, cpu, tensorflow/],
      [['train', '--decoder', 'poisson'], /--decoder must be one of bernoulli, gaussian/],
      [['train', '--frobnicate'], /unknown option '--frobnicate'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['train', 'extra'], /unexpected argument 'extra'/],
      [['train', '--out'], /needs a value/],
    ];
    for (const [argv, message] of cases) {
      let error: unknown;
      try {
        parseCommandLine(argv, modelOptions);
      } catch (err) {
        error = err;
      }
      expect(error, argv.join(' ')).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('recognises help and version', () => {
    expect(parseCommandLine([]).help).toBe(true);
    expect(parseCommandLine(['--help']).help).toBe(true);
    expect(parseCommandLine(['eval', '--help']).help).toBe(true);
    expect(parseCommandLine(['--version']).values.version).toBe(true);
  });
});

describe('help', () => {
  it('lists every command and every option of a command, from the table', () => {
    const general = generalHelp('1.2.3');
    for (const c of COMMANDS) expect(general).toContain(c.name);
    for (const c of COMMANDS) {
      const text = commandHelp(c);
      for (const name of c.options) expect(text).toContain(`--${name}`);
    }
  });

  it('every command option exists in the table', () => {
    const names = new Set(OPTIONS.map((o) => o.name));
    for (const c of COMMANDS) for (const o of c.options) expect(names.has(o), `${c.name} --${o}`).toBe(true);
  });
});
