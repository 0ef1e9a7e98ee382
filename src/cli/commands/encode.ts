/** `latentkit encode`: the code of every example, as CSV or .npy. */
import { codesCsv, codesTable, encodeJob } from '../../core/jobs/encode.js';
import { encodeNpy } from '../../core/io/npy.js';
import type { EncodeRequest } from '../../core/requests/jobs.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import type { Invocation } from '../commands.js';
import { jobContext } from './context.js';

export async function run({ request, cli, io }: Invocation<EncodeRequest>): Promise<number> {
  const result = await encodeJob(request, await jobContext(io, request, cli));
  const npy = cli.out!.toLowerCase().endsWith('.npy');
  writeFileAtomic(cli.out!, npy ? encodeNpy(codesTable(result), [result.n, result.latent + 1]) : codesCsv(result));
  io.stdout.write(`wrote ${result.n} codes of size ${result.latent} to ${cli.out!}\n`);
  return 0;
}
