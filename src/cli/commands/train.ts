import * as fs from 'node:fs';
import type { BackendChoice } from '../../backend/index.js';
import { trainRun } from '../../train/run.js';
import { createProgress } from '../progress.js';
import { COMMANDS, type CommandRun, type OptionValues } from '../options.js';

const TRAIN_OWN = new Set(COMMANDS.find((c) => c.name === 'train')!.options);
const MODEL_COMMON = ['arch', 'hidden', 'latent', 'activation'];

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Model settings: the shared model flags plus every flag the train table does not own. */
function modelInput(values: OptionValues): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (MODEL_COMMON.includes(flag) || !TRAIN_OWN.has(flag)) input[camel(flag)] = value;
  }
  return input;
}

function defaultOut(model: string, dataset: string): string {
  const base = `runs/${model}-${dataset.replace(/[^a-z0-9-]+/gi, '_')}`;
  let out = base;
  for (let i = 2; fs.existsSync(out); i++) out = `${base}-${i}`;
  return out;
}

export const run: CommandRun = async (values, _positionals, io) => {
  const resume = values.resume as string | undefined;
  const model = (values.model as string | undefined) ?? 'vae';
  const dataset = (values.dataset as string | undefined) ?? 'sprites';
  const out = resume ?? (values.out as string | undefined) ?? defaultOut(model, dataset);
  const epochs = values.epochs as number | undefined;
  const progress = createProgress(io.stderr, { quiet: values.quiet === true, epochs: epochs ?? 10 });
  try {
    const result = await trainRun({
      out,
      resume: resume !== undefined,
      model,
      modelInput: modelInput(values),
      dataset,
      dataDir: values['data-dir'] as string | undefined,
      epochs,
      batchSize: values['batch-size'] as number | undefined,
      lr: values.lr as number | undefined,
      seed: values.seed as number | undefined,
      limit: values.limit as number | undefined,
      backend: values.backend as BackendChoice | undefined,
      signal: io.signal,
      quiet: values.quiet === true,
      onStep: (p) => progress.step(p),
      onEpoch: (m) => progress.epoch(m),
    });
    progress.stop();
    result.model.dispose();
    if (result.interrupted) {
      io.stderr.write(`latentkit: interrupted after ${result.epochsCompleted} complete epoch(s); ${out} holds the latest weights; continue with: latentkit train --resume ${out}\n`);
      return 130;
    }
    const last = result.metrics.at(-1);
    io.stdout.write(`trained ${result.config.model.model} on ${result.config.data.dataset}: ${result.epochsCompleted} epochs${last ? `, test loss ${last.test_loss.toFixed(3)}` : ''}; run folder ${out}\n`);
    return 0;
  } finally {
    progress.stop();
  }
};
