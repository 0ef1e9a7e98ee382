/** `latentkit sample`: decode draws from the prior into a grid. */
import { sampleJob } from '../../core/jobs/images.js';
import type { SampleRequest } from '../../core/requests/jobs.js';
import type { Invocation } from '../commands.js';
import { jobContext, writePicture } from './context.js';

export async function run({ request, cli, io }: Invocation<SampleRequest>): Promise<number> {
  const result = await sampleJob(request, await jobContext(io, request, cli));
  writePicture(cli.out!, result.picture);
  io.stdout.write(`wrote ${result.n} samples to ${cli.out!}\n`);
  return 0;
}
