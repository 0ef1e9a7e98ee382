/**
 * `latentkit serve`: the runs as an HTTP service until SIGTERM or Ctrl-C,
 * which stop taking requests, answer those in flight, and exit 0. With
 * --workers N, N processes share the port (node:cluster), each with its own
 * engine and models.
 */
import cluster from 'node:cluster';
import type { ServeRequest } from '../../core/requests/serve.js';
import { startServer } from '../../server/serve.js';
import type { Invocation } from '../commands.js';

function stopped(io: Invocation['io']): Promise<string> {
  return new Promise((resolve) => {
    if (io.signal.aborted) return resolve('SIGINT');
    io.signal.addEventListener('abort', () => resolve('SIGINT'), { once: true });
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

async function primary(request: ServeRequest, io: Invocation['io']): Promise<number> {
  const workers = Array.from({ length: request.workers }, () => cluster.fork());
  let failed = false;
  const exits = workers.map((w) => new Promise<void>((resolve) => w.on('exit', (code) => ((failed ||= code !== 0), resolve()))));
  const ready = await Promise.race([Promise.all(workers.map((w) => new Promise<string>((resolve) => w.on('message', (m: { url?: string }) => m.url && resolve(m.url))))), Promise.all(exits).then(() => undefined)]);
  if (!ready) return 1;
  io.stdout.write(`serving ${request.run.join(', ')} at ${ready[0]} with ${request.workers} worker processes (docs: ${ready[0]}/docs)\n`);
  const signal = await Promise.race([stopped(io), Promise.all(exits).then(() => 'exit')]);
  if (signal !== 'exit') for (const w of workers) w.process.kill('SIGTERM');
  await Promise.all(exits);
  return failed && signal === 'exit' ? 1 : 0;
}

export async function run({ request, cli, io }: Invocation<ServeRequest>): Promise<number> {
  if (request.workers > 1 && cluster.isPrimary) return primary(request, io);
  const server = await startServer(request);
  if (cluster.isWorker) process.send?.({ url: server.url });
  else if (!cli.quiet) io.stdout.write(`serving ${server.services.map((s) => s.name).join(', ')} at ${server.url} (docs: ${server.url}/docs)\n`);
  const signal = await stopped(io);
  await server.close();
  // A worker's channel to the primary would keep it alive.
  if (cluster.isWorker) cluster.worker?.disconnect();
  if (!cli.quiet && !cluster.isWorker) io.stdout.write(`${signal}: stopped after answering the requests in flight\n`);
  return 0;
}
