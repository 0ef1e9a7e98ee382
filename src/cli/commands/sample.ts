import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import { renderGenerated } from '../../core/train/snapshots.js';
import type { CommandRun } from '../options.js';
import { openRun, outputPath } from './common.js';

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'sample', ['.png']);
  const n = (values.n as number | undefined) ?? 64;
  if (n < 1) throw new UsageError(`--n must be at least 1, got ${n}`);
  const { model, config } = await openRun(values, 'sample');
  try {
    if (!model.generative) throw new UsageError(`model '${config.model.model}' is not generative; sampling z ~ N(0, I) needs a VAE-family model`);
    const label = values.label as number | undefined;
    if (label !== undefined && !model.conditional) throw new UsageError(`--label needs a conditional model (cvae); '${config.model.model}' ignores labels`);
    if (label !== undefined && (label < 0 || label >= config.model.numClasses)) {
      throw new UsageError(`--label must be between 0 and ${config.model.numClasses - 1}, got ${label}`);
    }
    const labels = label === undefined ? undefined : new Array<number>(n).fill(label);
    writeFileAtomic(out, renderGenerated(model, (values.seed as number | undefined) ?? 0, n, labels));
    io.stdout.write(`wrote ${n} samples to ${out}\n`);
    return 0;
  } finally {
    model.dispose();
  }
};
