import { binarize, type BinarizeMode } from '../../data/load.js';
import { evaluateLoss } from '../../eval/loss.js';
import type { CommandRun } from '../options.js';
import { loadDataFor, openRun } from './common.js';

export const run: CommandRun = async (values, _positionals, io) => {
  const { model, config } = await openRun(values, 'eval');
  try {
    const mode = (values.binarize as BinarizeMode | undefined) ?? 'none';
    const seed = (values.seed as number | undefined) ?? 0;
    const ds = binarize(await loadDataFor(config, values), mode, seed);
    const summary = evaluateLoss(model, ds, { seed });
    const result = { run: values.run, model: config.model.model, dataset: ds.name, split: ds.split, examples: ds.n, binarize: mode, loss: summary.loss, ...summary.terms };
    if (values.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      io.stdout.write(`${config.model.model} on ${ds.name} ${ds.split} (${ds.n} examples, binarize ${mode}), per-example means in nats:\n`);
      for (const [k, v] of Object.entries({ loss: summary.loss, ...summary.terms })) io.stdout.write(`  ${k.padEnd(12)} ${v.toFixed(4)}\n`);
    }
    return 0;
  } finally {
    model.dispose();
  }
};
