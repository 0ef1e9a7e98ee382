import * as fs from 'node:fs';
import { trainRun } from '../../node/run/train-run.js';
import { createProgress } from '../progress.js';
import { COMMANDS, type CommandRun } from '../options.js';
import { trainRunOptionsFrom } from './training-flags.js';

const TRAIN_OWN = new Set(COMMANDS.find((c) => c.name === 'train')!.options);

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
      ...trainRunOptionsFrom(values, io, TRAIN_OWN),
      out,
      resume: resume !== undefined,
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
