import { checkImputeSettings, featureMeans, imageMask, imputeDataset, parseMask, randomMask, repeatMask, type DatasetImputation, type MaskSpec } from '../../apps/impute/index.js';
import { stackedVersions } from '../../apps/denoise/index.js';
import { loadDataset } from '../../data/load.js';
import { featureSize, type Dataset } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { RunConfig } from '../../run/run-folder.js';
import type { CommandIO, CommandRun, OptionValues } from '../options.js';
import { loadDataFor, openRun, outputPath } from './common.js';

/** Per-pixel means of the images the run was trained on: where imputation starts. */
async function trainingMeans(config: RunConfig, values: OptionValues): Promise<Float32Array> {
  const train = await loadDataset(config.data.dataset, {
    split: 'train',
    dataDir: values['data-dir'] as string | undefined,
    limit: config.data.limit ?? undefined,
    quiet: values.quiet === true,
  });
  return featureMeans(train);
}

/** The entries to hide (1 = hide), [n, dim]. */
function hiddenEntries(spec: MaskSpec, ds: Dataset, seed: number): Uint8Array {
  if (spec.kind === 'fraction') return randomMask(ds.n, featureSize(ds), spec.fraction, seed);
  return repeatMask(imageMask(spec.file, ds.shape), ds.n);
}

/** Rows of the picture: input with missing pixels mid-grey, mean fill, iterative fill, original. */
function picture(result: DatasetImputation, ds: Dataset, count: number): Buffer {
  const shown = ds.images.slice(0, count * featureSize(ds));
  for (let i = 0; i < shown.length; i++) if (result.missing[i]) shown[i] = 0.5;
  return stackedVersions([shown, result.meanFilled, result.filled, ds.images], count, ds.shape);
}

function report(io: CommandIO, result: DatasetImputation, mask: string, n: number, out: string, json: boolean): void {
  const rounds = { iterations: result.iterations, converged: result.converged, lastChange: result.lastChange };
  if (json) {
    io.stdout.write(`${JSON.stringify({ n, mask, ...rounds, hidden: result.score?.hidden ?? 0, rmse: result.score?.rmse ?? null, meanRmse: result.score?.meanRmse ?? null, out })}\n`);
    return;
  }
  const stop = result.converged ? 'converged' : `stopped at --max-iter, last change ${result.lastChange.toExponential(2)}`;
  io.stdout.write(`filled ${n} examples in ${result.iterations} rounds (${stop})\n`);
  if (result.score) {
    const { hidden, rmse, meanRmse } = result.score;
    io.stdout.write(`--mask ${mask}: RMSE on the ${hidden} hidden entries ${rmse.toFixed(4)} (iterative reconstruction) vs ${meanRmse.toFixed(4)} (training means)\n`);
  }
  io.stdout.write(`wrote ${out}\n`);
}

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'impute', ['.png']);
  const maxIter = (values['max-iter'] as number | undefined) ?? 50;
  const tol = (values.tol as number | undefined) ?? 1e-4;
  checkImputeSettings(maxIter, tol);
  const spec = values.mask === undefined ? undefined : parseMask(String(values.mask));
  const n = (values.n as number | undefined) ?? 8;
  if (n < 1) throw new UsageError(`--n must be at least 1, got ${n}`);
  const { model, config } = await openRun(values, 'impute');
  try {
    const ds = await loadDataFor(config, values);
    if (!spec) throw new UsageError("'latentkit impute' needs --mask FRACTION|FILE for images: which pixels to hide and fill");
    const hide = hiddenEntries(spec, ds, (values.seed as number | undefined) ?? 0);
    const result = imputeDataset(model, ds, hide, await trainingMeans(config, values), { maxIter, tol });
    writeFileAtomic(out, picture(result, ds, Math.min(n, ds.n)));
    report(io, result, String(values.mask), ds.n, out, values.json === true);
    return 0;
  } finally {
    model.dispose();
  }
};
