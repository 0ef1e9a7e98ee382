// Parser tests: nothing here runs a command or loads TensorFlow.js (the models are stand-ins).
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { FieldError, UsageError } from '../core/errors.js';
import type { ModelDefinition } from '../core/models/types.js';
import { COMMANDS } from './commands.js';
import { commandHelp, generalHelp } from './help.js';
import { errorLine } from './main.js';
import { commandFlags, parseCommandLine } from './parse.js';

const stand = (name: string, options: z.ZodObject): ModelDefinition => ({ name, summary: `${name} model`, options }) as unknown as ModelDefinition;
const vaeOptions = z.object({
  beta: z.number().min(0).default(1).meta({ description: 'KL weight' }),
  decoder: z.enum(['bernoulli', 'gaussian']).optional().meta({ description: 'likelihood' }),
  sigma: z.union([z.number().positive(), z.literal('learned')]).optional().meta({ description: 'σ' }),
});
const models = [stand('vae', vaeOptions), stand('sae', z.object({ sparsityWeight: z.array(z.number().min(0)).optional().meta({ description: 'weights' }) }))];

function refusal(argv: string[]): string {
  try {
    parseCommandLine(argv, models);
  } catch (err) {
    expect(err, argv.join(' ')).toBeInstanceOf(UsageError);
    return errorLine(err as UsageError);
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('parseCommandLine', () => {
  it('types the values from the request schema and fills in its defaults', () => {
    const p = parseCommandLine(['train', '--epochs', '3', '--lr', '0.01', '--hidden', '400,400', '--quiet'], models);
    expect(p.command?.name).toBe('train');
    expect(p.request).toMatchObject({ epochs: 3, lr: 0.01, hidden: [400, 400], batchSize: 128, model: 'vae', dataset: 'sprites' });
    expect(p.cli).toEqual({ quiet: true });
  });

  it('takes negative numbers as values, so range checks can name them', () => {
    expect(refusal(['train', '--beta', '-1'])).toBe('--beta must be ≥ 0, got -1');
    expect(parseCommandLine(['train', '--beta=0.5', '--epochs', '2'], models).request).toMatchObject({ beta: 0.5, epochs: 2 });
  });

  it('reads lists, and numbers or words where a field takes both', () => {
    expect(parseCommandLine(['train', '--model', 'sae', '--sparsity-weight', '0.1,0.2'], models).request.sparsityWeight).toEqual([0.1, 0.2]);
    expect(parseCommandLine(['train', '--sigma', 'learned'], models).request.sigma).toBe('learned');
    expect(parseCommandLine(['train', '--sigma', '0.5'], models).request.sigma).toBe(0.5);
    expect(refusal(['train', '--sigma', 'often'])).toMatch(/^--sigma /);
  });

  it('accepts the models’ options on training commands only', () => {
    expect(parseCommandLine(['train', '--beta', '4'], models).request.beta).toBe(4);
    expect(refusal(['sample', '--beta', '4'])).toMatch(/unknown option '--beta' for 'latentkit sample'/);
  });

  it('refuses bad values with one clear error naming the flag', () => {
    const cases: [string[], RegExp][] = [
      [['train', '--epochs', 'ten'], /^--epochs must be a number, got 'ten'$/],
      [['train', '--epochs', '2.5'], /^--epochs must be an integer, got 2.5$/],
      [['train', '--epochs', '0'], /^--epochs must be ≥ 1, got 0$/],
      [['train', '--lr', '0'], /^--lr must be > 0, got 0$/],
      [['train', '--batch-size', '-3'], /^--batch-size must be ≥ 1, got -3$/],
      [['train', '--backend', 'gpu'], /^--backend must be one of auto, wasm, cpu, webgl, tensorflow, got 'gpu'$/],
      [['train', '--decoder', 'poisson'], /^--decoder must be one of bernoulli, gaussian/],
      [['train', '--model', 'gan'], /^--model must be one of vae, sae/],
      [['train', '--classes', '1,x'], /^--classes item 2 must be a number, got 'x'$/],
      [['train', '--frobnicate'], /unknown option '--frobnicate'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['train', 'extra'], /unexpected argument 'extra'/],
      [['train', '--out'], /needs a value/],
      [['sample', '--out', 'x.png'], /^--run is required$/],
      [['sample', '--run', 'r', '--out', 'x.jpg'], /^--out must end in \.png, got 'x.jpg'$/],
      [['detect', 'fit', '--contamination', '1'], /^--contamination must be < 1, got 1$/],
      [['plot', 'samples', '--run', 'r', '--out', 'x.svg'], /^--out must end in \.png/],
    ];
    for (const [argv, message] of cases) expect(refusal(argv), argv.join(' ')).toMatch(message);
  });

  it('detect fit leaves --model and --epochs unset when not given, so the detector recipe can choose them', () => {
    const fit = parseCommandLine(['detect', 'fit', '--dataset', 'csv:t.csv', '--out', 'runs/d'], models).request;
    expect(fit.model).toBeUndefined();
    expect(fit.epochs).toBeUndefined();
    expect(fit).toMatchObject({ batchSize: 128, dataset: 'csv:t.csv' });
    expect(parseCommandLine(['detect', 'fit', '--epochs', '3', '--out', 'runs/d'], models).request.epochs).toBe(3);
    expect(refusal(['detect', 'fit', '--epochs', '0', '--out', 'runs/d'])).toBe('--epochs must be ≥ 1, got 0');
    expect(parseCommandLine(['train'], models).request.epochs).toBe(10);
  });

  it('with --resume, refuses the flags a resumed run cannot change', () => {
    expect(parseCommandLine(['train', '--resume', 'runs/a', '--epochs', '20'], models).request).toEqual({ epochs: 20, backend: 'auto' });
    expect(refusal(['train', '--resume', 'runs/a', '--lr', '0.5'])).toMatch(/^--lr does not apply with --resume/);
    expect(refusal(['train', '--resume', 'runs/a', '--model', 'sae'])).toMatch(/^--model does not apply with --resume/);
  });

  it('recognises help and version', () => {
    expect(parseCommandLine([]).help).toBe(true);
    expect(parseCommandLine(['--help']).help).toBe(true);
    expect(parseCommandLine(['eval', '--help']).help).toBe(true);
    expect(parseCommandLine(['--version']).version).toBe(true);
  });

  it('a field error renders as the flag in the CLI and as the key elsewhere', () => {
    const err = new FieldError('batchSize', 'must be ≥ 1, got 0, and at most {{limit}}');
    expect(errorLine(err)).toBe('--batch-size must be ≥ 1, got 0, and at most --limit');
    expect(err.message).toBe('batchSize must be ≥ 1, got 0, and at most limit');
  });
});

describe('help', () => {
  it('lists every command, and every flag of a command with what it accepts', () => {
    const general = generalHelp('1.2.3');
    for (const c of COMMANDS) expect(general).toContain(c.name);
    for (const c of COMMANDS) {
      const text = commandHelp(c, models);
      for (const flag of commandFlags(c, models)) expect(text, `${c.name} --${flag.name}`).toContain(`--${flag.name}`);
    }
    const train = commandHelp(COMMANDS.find((c) => c.name === 'train')!, models);
    expect(train).toMatch(/--epochs N +training epochs \(≥ 1 and ≤ 100000; default 10\)/);
    expect(train).toContain('Options of --model vae');
  });
});
