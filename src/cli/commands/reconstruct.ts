import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import { renderReconstructions } from '../../core/train/snapshots.js';
import type { CommandRun } from '../options.js';
import { loadDataFor, openRun, outputPath } from './common.js';

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'reconstruct', ['.png']);
  const n = (values.n as number | undefined) ?? 32;
  if (n < 1) throw new UsageError(`--n must be at least 1, got ${n}`);
  const { model, config } = await openRun(values, 'reconstruct');
  try {
    const ds = await loadDataFor(config, values, { limit: n });
    writeFileAtomic(out, renderReconstructions(model, ds, n));
    io.stdout.write(`wrote ${Math.min(n, ds.n)} originals (odd rows) and reconstructions (even rows) to ${out}\n`);
    return 0;
  } finally {
    model.dispose();
  }
};
