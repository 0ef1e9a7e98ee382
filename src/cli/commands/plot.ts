/** `latentkit plot KIND`: one picture of a run (the figures are core/jobs/plot.ts). */
import { plotJob } from '../../core/jobs/plot.js';
import type { PlotRequest } from '../../core/requests/jobs.js';
import { writePlot } from '../../node/files/raster.js';
import type { Invocation } from '../commands.js';
import { jobContext, writePicture } from './context.js';

export async function run({ request, cli, positionals, io }: Invocation<Omit<PlotRequest, 'kind'>>): Promise<number> {
  const kind = positionals[0] as PlotRequest['kind'];
  const result = await plotJob({ ...request, kind }, await jobContext(io, request, cli));
  if ('svg' in result) await writePlot(cli.out!, result.svg);
  else writePicture(cli.out!, result.picture);
  io.stdout.write(`wrote ${result.what} to ${cli.out!}\n`);
  return 0;
}
