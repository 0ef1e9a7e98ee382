/** `latentkit impute`: fill missing values by iterative reconstruction; RMSE against mean imputation. */
import { imputeJob } from '../../core/jobs/denoise.js';
import type { ImputeRequest } from '../../core/requests/jobs.js';
import type { Invocation } from '../commands.js';
import { jobContext, printJson } from './context.js';
import { writeOutput } from './output.js';

export async function run({ request, cli, io }: Invocation<ImputeRequest>): Promise<number> {
  const { result, n, output } = await imputeJob(request, await jobContext(io, request, cli));
  writeOutput(cli.out!, output, request.dataset ?? 'the dataset');
  const rounds = { iterations: result.iterations, converged: result.converged, lastChange: result.lastChange };
  const missing = result.missingCount;
  const mask = request.mask ?? null;
  if (cli.json) {
    printJson(io, { n, mask, missing, ...rounds, hidden: result.score?.hidden ?? 0, rmse: result.score?.rmse ?? null, meanRmse: result.score?.meanRmse ?? null, out: cli.out! });
    return 0;
  }
  const stop = result.converged ? 'converged' : `stopped at --max-iter, last change ${result.lastChange.toExponential(2)}`;
  io.stdout.write(`filled ${missing} missing entries of ${n} examples in ${result.iterations} rounds (${stop})\n`);
  if (result.score) {
    const { hidden, rmse, meanRmse } = result.score;
    const units = output.kind === 'rows' ? ' (scaled units)' : '';
    io.stdout.write(`--mask ${mask}: RMSE on the ${hidden} hidden entries ${rmse.toFixed(4)} (iterative reconstruction) vs ${meanRmse.toFixed(4)} (training means)${units}\n`);
  }
  io.stdout.write(`wrote ${cli.out!}\n`);
  return 0;
}
