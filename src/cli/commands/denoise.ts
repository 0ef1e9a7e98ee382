import { denoiseDataset, parseCorrupt, stackedVersions, tableRowsCsv, type DenoiseResult } from '../../core/apps/denoise/index.js';
import type { Dataset } from '../../core/data/types.js';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import { formatNoise, type NoiseSpec } from '../../core/models/dae/noise.js';
import type { CommandIO, CommandRun } from '../options.js';
import { loadDataFor, openRun, outputPath } from './common.js';

/** Rows of the picture: noisy / cleaned / clean with --corrupt, else input / cleaned. */
function picture(result: DenoiseResult, ds: Dataset, count: number): Buffer {
  const versions = [result.noisy, result.cleaned];
  if (result.quality) versions.push(ds.images);
  return stackedVersions(versions, count, ds.shape);
}

/** Images give a picture (.png); table rows give the cleaned rows in the file's units (.csv). */
function checkOutputKind(out: string, ds: Dataset): void {
  const csv = out.toLowerCase().endsWith('.csv');
  if (ds.table && !csv) throw new UsageError(`--out: ${ds.name} is a table; write the cleaned rows to a .csv file`);
  if (!ds.table && csv) throw new UsageError(`--out: ${ds.name} holds images; write the picture to a .png file`);
}

function measurement(result: DenoiseResult, corrupt: NoiseSpec): string {
  const q = result.quality!;
  const rmse = `RMSE ${q.rmseNoisy.toFixed(4)} -> ${q.rmseCleaned.toFixed(4)}`;
  if (q.psnrNoisy === undefined || q.psnrCleaned === undefined) return `${formatNoise(corrupt)} on ${result.n} rows: ${rmse} (scaled units)`;
  return `${formatNoise(corrupt)} on ${result.n} examples: PSNR ${q.psnrNoisy.toFixed(2)} dB noisy -> ${q.psnrCleaned.toFixed(2)} dB cleaned (mean per image); ${rmse}`;
}

function report(io: CommandIO, result: DenoiseResult, corrupt: NoiseSpec | undefined, out: string, json: boolean): void {
  if (json) {
    io.stdout.write(`${JSON.stringify({ n: result.n, corrupt: corrupt ? formatNoise(corrupt) : null, ...result.quality, out })}\n`);
    return;
  }
  if (corrupt) io.stdout.write(`${measurement(result, corrupt)}\n`);
  else io.stdout.write(`cleaned ${result.n} examples (no clean reference: add --corrupt NOISE to measure)\n`);
  io.stdout.write(`wrote ${out}\n`);
}

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'denoise', ['.png', '.csv']);
  const corrupt = values.corrupt === undefined ? undefined : parseCorrupt(String(values.corrupt));
  const n = (values.n as number | undefined) ?? 8;
  if (n < 1) throw new UsageError(`--n must be at least 1, got ${n}`);
  const { model, config } = await openRun(values, 'denoise');
  try {
    const ds = await loadDataFor(config, values);
    checkOutputKind(out, ds);
    const result = denoiseDataset(model, ds, { corrupt, seed: (values.seed as number | undefined) ?? 0 });
    writeFileAtomic(out, ds.table ? tableRowsCsv(ds, result.cleaned) : picture(result, ds, Math.min(n, ds.n)));
    report(io, result, corrupt, out, values.json === true);
    return 0;
  } finally {
    model.dispose();
  }
};
