/** `latentkit denoise`: clean images or table rows; PSNR before and after when the clean data is known. */
import { formatNoise } from '../../core/models/dae/noise-spec.js';
import { parseCorrupt } from '../../core/apps/denoise/index.js';
import { denoiseJob, type DenoiseJobResult } from '../../core/jobs/denoise.js';
import type { DenoiseRequest } from '../../core/requests/jobs.js';
import type { Invocation } from '../commands.js';
import { jobContext, printJson } from './context.js';
import { writeOutput } from './output.js';

function measurement({ result }: DenoiseJobResult, corrupt: string): string {
  const q = result.quality!;
  const rmse = `RMSE ${q.rmseNoisy.toFixed(4)} -> ${q.rmseCleaned.toFixed(4)}`;
  if (q.psnrNoisy === undefined || q.psnrCleaned === undefined) return `${corrupt} on ${result.n} rows: ${rmse} (scaled units)`;
  return `${corrupt} on ${result.n} examples: PSNR ${q.psnrNoisy.toFixed(2)} dB noisy -> ${q.psnrCleaned.toFixed(2)} dB cleaned (mean per image); ${rmse}`;
}

export async function run({ request, cli, io }: Invocation<DenoiseRequest>): Promise<number> {
  const corrupt = request.corrupt === undefined ? undefined : formatNoise(parseCorrupt(request.corrupt));
  const done = await denoiseJob(request, await jobContext(io, request, cli));
  writeOutput(cli.out!, done.output, done.dataset);
  if (cli.json) {
    printJson(io, { n: done.result.n, corrupt: corrupt ?? null, ...done.result.quality, out: cli.out! });
    return 0;
  }
  if (corrupt) io.stdout.write(`${measurement(done, corrupt)}\n`);
  else io.stdout.write(`cleaned ${done.result.n} examples (no clean reference: add --corrupt NOISE to measure)\n`);
  io.stdout.write(`wrote ${cli.out!}\n`);
  return 0;
}

