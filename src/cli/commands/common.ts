/** Steps several commands share: open a run, load the data it is used on, write outputs. */
import * as path from 'node:path';
import { initBackend, type BackendChoice } from '../../backend/index.js';
import { loadDataset } from '../../data/load.js';
import type { Dataset, Split } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import type { Autoencoder } from '../../models/types.js';
import { loadRun, type RunConfig } from '../../run/run-folder.js';
import type { OptionValues } from '../options.js';
import { requireOption } from '../parse.js';

export async function openRun(values: OptionValues, command: string): Promise<{ dir: string; config: RunConfig; model: Autoencoder }> {
  const dir = requireOption<string>(values, 'run', command);
  await initBackend((values.backend as BackendChoice | undefined) ?? 'auto');
  const { config, model } = await loadRun(dir);
  return { dir, config, model };
}

/** The dataset named by --dataset (default: the run's own), checked against the model's input. */
export async function loadDataFor(config: RunConfig, values: OptionValues, options: { split?: Split; limit?: number } = {}): Promise<Dataset> {
  const name = (values.dataset as string | undefined) ?? config.data.dataset;
  const split = options.split ?? ((values.split as Split | undefined) ?? 'test');
  const limit = options.limit ?? (values.limit as number | undefined);
  const ds = await loadDataset(name, { split, dataDir: values['data-dir'] as string | undefined, limit, quiet: values.quiet === true });
  const want = config.model.inputShape.join('×');
  if (ds.shape.join('×') !== want) throw new UsageError(`dataset ${name} has ${ds.shape.join('×')} images but the model expects ${want}`);
  return ds;
}

/** The --out path, required, with one of the allowed extensions. */
export function outputPath(values: OptionValues, command: string, extensions: readonly string[]): string {
  const out = requireOption<string>(values, 'out', command);
  const ext = path.extname(out).toLowerCase();
  if (!extensions.includes(ext)) throw new UsageError(`--out must end in ${extensions.join(' or ')}, got '${out}'`);
  return out;
}
