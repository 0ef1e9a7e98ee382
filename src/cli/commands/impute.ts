import { stackedVersions, tableRowsCsv } from '../../core/apps/denoise/index.js';
import { checkImputeSettings, featureMeans, imageMask, imputeDataset, parseMask, randomMask, repeatMask, scaledTableMeans, type DatasetImputation, type MaskSpec } from '../../core/apps/impute/index.js';
import { loadDataset, takeFirst } from '../../core/data/load.js';
import { selectClasses } from '../../core/data/select.js';
import { featureSize, type Dataset } from '../../core/data/types.js';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import type { RunConfig } from '../../node/run/run-folder.js';
import type { CommandIO, CommandRun, OptionValues } from '../options.js';
import { loadDataFor, openRun, outputPath } from './common.js';

/**
 * Where imputation starts: the training means. A table's scaler holds them;
 * for images they are the per-pixel means of the run's training images.
 */
async function trainingMeans(config: RunConfig, values: OptionValues, ds: Dataset): Promise<Float32Array> {
  if (ds.table) return scaledTableMeans(ds.table.scaler);
  // The training images exactly as the run chose them: --classes first, then --limit.
  const { classes, limit } = config.data;
  let train = await loadDataset(config.data.dataset, {
    split: 'train',
    dataDir: values['data-dir'] as string | undefined,
    limit: classes ? undefined : limit ?? undefined,
    quiet: values.quiet === true,
  });
  if (classes) {
    train = selectClasses(train, classes);
    if (limit !== null && limit !== undefined) train = takeFirst(train, limit);
  }
  return featureMeans(train);
}

/** The entries to hide (1 = hide), [n, dim]; null when only the data's own gaps are filled. */
function hiddenEntries(spec: MaskSpec | undefined, ds: Dataset, seed: number): Uint8Array | null {
  if (!spec) {
    if (ds.table) return null;
    throw new UsageError("'latentkit impute' needs --mask FRACTION|FILE for images: which pixels to hide and fill");
  }
  if (spec.kind === 'fraction') return randomMask(ds.n, featureSize(ds), spec.fraction, seed);
  if (ds.table) throw new UsageError('--mask FILE is for images; give a fraction of cells to hide in a table');
  return repeatMask(imageMask(spec.file, ds.shape), ds.n);
}

/** Images give a picture (.png); table rows give the filled rows in the file's units (.csv). */
function checkOutputKind(out: string, ds: Dataset): void {
  const csv = out.toLowerCase().endsWith('.csv');
  if (ds.table && !csv) throw new UsageError(`--out: ${ds.name} is a table; write the filled rows to a .csv file`);
  if (!ds.table && csv) throw new UsageError(`--out: ${ds.name} holds images; write the picture to a .png file`);
}

/** Rows of the picture: input with missing pixels mid-grey, mean fill, iterative fill, original. */
function picture(result: DatasetImputation, ds: Dataset, count: number): Buffer {
  const shown = ds.images.slice(0, count * featureSize(ds));
  for (let i = 0; i < shown.length; i++) if (result.missing[i]) shown[i] = 0.5;
  return stackedVersions([shown, result.meanFilled, result.filled, ds.images], count, ds.shape);
}

function report(io: CommandIO, result: DatasetImputation, mask: string | null, ds: Dataset, out: string, json: boolean): void {
  const rounds = { iterations: result.iterations, converged: result.converged, lastChange: result.lastChange };
  const missing = result.missing.reduce((s, v) => s + v, 0);
  if (json) {
    io.stdout.write(`${JSON.stringify({ n: ds.n, mask, missing, ...rounds, hidden: result.score?.hidden ?? 0, rmse: result.score?.rmse ?? null, meanRmse: result.score?.meanRmse ?? null, out })}\n`);
    return;
  }
  const stop = result.converged ? 'converged' : `stopped at --max-iter, last change ${result.lastChange.toExponential(2)}`;
  io.stdout.write(`filled ${missing} missing entries of ${ds.n} examples in ${result.iterations} rounds (${stop})\n`);
  if (result.score) {
    const { hidden, rmse, meanRmse } = result.score;
    const units = ds.table ? ' (scaled units)' : '';
    io.stdout.write(`--mask ${mask}: RMSE on the ${hidden} hidden entries ${rmse.toFixed(4)} (iterative reconstruction) vs ${meanRmse.toFixed(4)} (training means)${units}\n`);
  }
  io.stdout.write(`wrote ${out}\n`);
}

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'impute', ['.png', '.csv']);
  const maxIter = (values['max-iter'] as number | undefined) ?? 50;
  const tol = (values.tol as number | undefined) ?? 1e-4;
  checkImputeSettings(maxIter, tol);
  const spec = values.mask === undefined ? undefined : parseMask(String(values.mask));
  const n = (values.n as number | undefined) ?? 8;
  if (n < 1) throw new UsageError(`--n must be at least 1, got ${n}`);
  const { model, config } = await openRun(values, 'impute');
  try {
    const ds = await loadDataFor(config, values);
    checkOutputKind(out, ds);
    const hide = hiddenEntries(spec, ds, (values.seed as number | undefined) ?? 0);
    const result = imputeDataset(model, ds, hide, await trainingMeans(config, values, ds), { maxIter, tol });
    writeFileAtomic(out, ds.table ? tableRowsCsv(ds, result.filled) : picture(result, ds, Math.min(n, ds.n)));
    report(io, result, values.mask === undefined ? null : String(values.mask), ds, out, values.json === true);
    return 0;
  } finally {
    model.dispose();
  }
};
