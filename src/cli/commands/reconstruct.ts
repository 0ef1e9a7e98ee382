/** `latentkit reconstruct`: examples above their reconstructions. */
import { reconstructJob } from '../../core/jobs/images.js';
import type { ReconstructRequest } from '../../core/requests/jobs.js';
import type { Invocation } from '../commands.js';
import { jobContext, writePicture } from './context.js';

export async function run({ request, cli, io }: Invocation<ReconstructRequest>): Promise<number> {
  const result = await reconstructJob(request, await jobContext(io, request, cli));
  writePicture(cli.out!, result.picture);
  io.stdout.write(`wrote ${result.n} originals (odd rows) and reconstructions (even rows) to ${cli.out!}\n`);
  return 0;
}
