/** `latentkit report`: one self-contained HTML file of a run. */
import { reportJob } from '../../core/jobs/report.js';
import type { ReportRequest } from '../../core/requests/jobs.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import type { Invocation } from '../commands.js';
import { jobContext } from './context.js';

export async function run({ request, cli, io }: Invocation<ReportRequest>): Promise<number> {
  const result = await reportJob(request, await jobContext(io, request, cli));
  writeFileAtomic(cli.out!, result.html);
  io.stdout.write(`wrote the report of ${request.run} (${result.dataset} ${result.split}, ${result.examples} examples) to ${cli.out!}\n`);
  return 0;
}
