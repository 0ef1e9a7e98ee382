/** `latentkit interpolate`: decode the latent path between two examples; the work is in src/apps/interpolate. */
import { interpolateExamples, interpolateImage } from '../../core/apps/interpolate/index.js';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import type { PathKind } from '../../core/viz/figures/index.js';
import type { CommandRun } from '../options.js';
import { loadDataFor, openRun, outputPath } from './common.js';

const fmt = (x: number) => Number(x.toFixed(3)).toString();

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'interpolate', ['.png']);
  const from = (values.from as number | undefined) ?? 0;
  const to = (values.to as number | undefined) ?? 1;
  for (const [name, index] of [['from', from], ['to', to]] as const) {
    if (index < 0) throw new UsageError(`--${name} must be an example index of at least 0, got ${index}`);
  }
  const steps = (values.steps as number | undefined) ?? 10;
  const path = (values.path as PathKind | undefined) ?? 'line';
  const { model, config } = await openRun(values, 'interpolate');
  try {
    // Only the examples up to the larger index are needed.
    const limit = (values.limit as number | undefined) ?? Math.max(from, to) + 1;
    const ds = await loadDataFor(config, values, { limit });
    const result = interpolateExamples(model, ds, { from, to, steps, path });
    writeFileAtomic(out, interpolateImage(result, ds));
    if (values.json) {
      const { codes: _c, images: _i, ...summary } = result;
      io.stdout.write(`${JSON.stringify({ ...summary, out })}\n`);
    } else {
      io.stdout.write(`|z_to − z_from| = ${fmt(result.distance)} (|z_from| = ${fmt(result.normFrom)}, |z_to| = ${fmt(result.normTo)})\n`);
      io.stdout.write(`wrote example ${from}, ${steps} decoded ${path} steps and example ${to} to ${out}\n`);
    }
    return 0;
  } finally {
    model.dispose();
  }
};
