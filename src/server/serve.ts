/**
 * Starting and stopping the service: load the runs, listen, and on SIGTERM or
 * SIGINT stop taking requests, answer those in flight, and exit 0.
 */
import type { FastifyInstance } from 'fastify';
import type { ServeRequest } from '../core/requests/serve.js';
import type { ModelService } from '../core/serve/service.js';
import { useEngine } from '../node/run/train-run.js';
import { buildServer } from './app.js';
import { loadService, parseRunSpecs } from './runs.js';

export const TOKEN_ENV = 'LATENTKIT_TOKEN';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  services: ModelService[];
  /** Stop taking requests, finish those in flight, free the models. */
  close(): Promise<void>;
}

/** Load the request's runs and listen. */
export async function startServer(request: ServeRequest, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const specs = parseRunSpecs(request.run);
  await useEngine(request);
  const services: ModelService[] = [];
  for (const spec of specs) services.push(await loadService(spec));
  let draining = false;
  const { app } = await buildServer(services, { ...request, token: request.token ?? env[TOKEN_ENV], draining: () => draining });
  const url = await app.listen({ port: request.port, host: request.host });
  return {
    app,
    url,
    services,
    async close() {
      draining = true;
      // In-flight requests finish; connections that fall idle meanwhile are closed as they do.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      for (const s of services) s.model.dispose();
    },
  };
}
