/** `latentkit report`: one self-contained HTML file of a run (built by src/viz/figures/report.ts). */
import { writeFileAtomic } from '../../node/files/atomic.js';
import { readMetrics } from '../../node/run/run-folder.js';
import { buildReport } from '../../core/viz/figures/index.js';
import type { CommandRun } from '../options.js';
import { loadDataFor, openRun, outputPath } from './common.js';

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'report', ['.html', '.htm']);
  const { dir, config, model } = await openRun(values, 'report');
  try {
    const ds = await loadDataFor(config, values, { split: 'test' });
    const html = await buildReport({ config, model, metrics: readMetrics(dir), name: dir }, ds, { seed: (values.seed as number | undefined) ?? 0 });
    writeFileAtomic(out, html);
    io.stdout.write(`wrote the report of ${dir} (${ds.name} ${ds.split}, ${ds.n} examples) to ${out}\n`);
    return 0;
  } finally {
    model.dispose();
  }
};
