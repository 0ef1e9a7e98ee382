/** `latentkit lab`: serve the browser lab locally until Ctrl-C or SIGTERM. */
import type { LabRequest } from '../../core/requests/serve.js';
import { buildLab } from '../../server/lab.js';
import type { Invocation } from '../commands.js';

export async function run({ request, cli, io }: Invocation<LabRequest>): Promise<number> {
  const app = await buildLab(request);
  const url = await app.listen({ port: request.port, host: request.host });
  if (!cli.quiet) io.stdout.write(`latentkit lab at ${url}/ (Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
    process.once('SIGTERM', () => resolve());
  });
  await app.close();
  return 0;
}
