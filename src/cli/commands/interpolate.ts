/** `latentkit interpolate`: decode the latent path between two examples. */
import { interpolateJob } from '../../core/jobs/latent.js';
import type { InterpolateRequest } from '../../core/requests/jobs.js';
import type { Invocation } from '../commands.js';
import { jobContext, printJson, writePicture } from './context.js';

const fmt = (x: number) => Number(x.toFixed(3)).toString();

export async function run({ request, cli, io }: Invocation<InterpolateRequest>): Promise<number> {
  const { result, picture, files } = await interpolateJob(request, await jobContext(io, request, cli));
  writePicture(cli.out!, picture);
  if (cli.json) {
    const { codes: _c, images: _i, ...summary } = result;
    printJson(io, { ...summary, ...(files ? { fromFile: files.from, toFile: files.to } : {}), out: cli.out! });
    return 0;
  }
  io.stdout.write(`|z_to − z_from| = ${fmt(result.distance)} (|z_from| = ${fmt(result.normFrom)}, |z_to| = ${fmt(result.normTo)})\n`);
  const named = (i: number, file?: string) => `example ${i}${file !== undefined ? ` (${file})` : ''}`;
  io.stdout.write(`wrote ${named(request.from, files?.from)}, ${request.steps} decoded ${request.path} steps and ${named(request.to, files?.to)} to ${cli.out!}\n`);
  return 0;
}
