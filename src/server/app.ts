/**
 * The HTTP service on fastify: health, readiness, metrics, the OpenAPI
 * document and its docs page, and the model routes of ./operations.ts.
 * Bodies are checked by the core's schemas, so a bad field is a 400 naming
 * it (an RFC 9457 problem body), never a 500.
 *
 * fastify: mainstream, maintained, fast (its JSON handling and routing cost
 * little next to a forward pass), with body limits, content-type parsers and
 * graceful close built in.
 */
import { timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { FieldError, UsageError } from '../core/errors.js';
import { parseCell, parseCsvText } from '../core/data/csv/parse.js';
import { parseRequest } from '../core/requests/validate.js';
import type { ServeLimits } from '../core/requests/serve.js';
import type { ModelService } from '../core/serve/service.js';
import { encodePng, tileImages } from '../core/viz/grid.js';
import { decodeUserImage } from '../node/files/user-image.js';
import { ServiceMetrics } from './metrics.js';
import { openApiDocument, docsPage } from './openapi.js';
import { OPERATIONS, Served, type Operation } from './operations.js';

export interface ServerOptions extends Partial<ServeLimits> {
  /** Answer /readyz with 503 (set while draining). */
  draining?: () => boolean;
}

const DEFAULTS: ServeLimits = { maxBatch: 64, maxWaitMs: 0, maxRows: 1024, bodyLimit: 16 << 20, timeoutMs: 30_000, queue: 1024 };

/** An answer with a status and a problem body (RFC 9457). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable' };

function sendProblem(reply: FastifyReply, status: number, detail: string, field?: string): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...(field !== undefined ? { field } : {}) });
}

/** Fastify's own body errors (parse, size, media type) as statuses. */
function fastifyStatus(err: { code?: string; statusCode?: number }): number | undefined {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 413;
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 415;
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return err.statusCode;
  return undefined;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The body of a rows route given as an image (PNG, JPEG, WebP; any size) or a CSV table, as the JSON body it stands for. */
async function rowsFromBody(service: ModelService, contentType: string, body: unknown): Promise<unknown> {
  if (contentType.startsWith('image/')) {
    if (service.config.data.table) throw new HttpProblem(415, `model ${service.name} takes table rows, not images`, 'body');
    const pixels = await decodeUserImage(body as Uint8Array, 'the request body', service.model.config.inputShape);
    return { inputs: [Array.from(pixels)] };
  }
  if (contentType.startsWith('text/csv')) {
    const columns = service.config.data.table?.columns;
    if (!columns) throw new HttpProblem(415, `model ${service.name} takes images or pixel rows, not CSV tables`, 'body');
    const [head, ...records] = parseCsvText(body as string);
    if (!head) throw new FieldError('body', 'is an empty CSV table; its first line names the columns');
    // Columns other than the features (ids, labels) are allowed and left out.
    const at = columns.map((c) => head.fields.indexOf(c));
    const inputs = records.map((r) => {
      if (r.error) throw new FieldError('body', `line ${r.line}: ${r.error}`);
      return Object.fromEntries(
        columns.flatMap((c, j) => {
          if (at[j]! < 0) return [];
          const v = parseCell(r.fields[at[j]!] ?? '');
          if (v === undefined) throw new FieldError('body', `line ${r.line}, column ${c}: '${r.fields[at[j]!]}' is not a number`);
          return [[c, Number.isNaN(v) ? null : v]];
        }),
      );
    });
    return { inputs };
  }
  return body;
}

/** Body types of the routes that take rows. */
const ROWS_TYPES = ['application/json', 'image/png', 'image/jpeg', 'image/webp', 'text/csv'];

function wantsPng(request: FastifyRequest): boolean {
  return /\bimage\/png\b/.test(request.headers.accept ?? '');
}

/** Build the service over loaded models (not yet listening). */
export async function buildServer(services: readonly ModelService[], options: ServerOptions & { token?: string; cors?: string } = {}): Promise<{ app: FastifyInstance; metrics: ServiceMetrics }> {
  const limits: ServeLimits = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as ServeLimits;
  const metrics = new ServiceMetrics();
  const served = new Map(services.map((s) => [s.name, new Served(s, { maxBatch: limits.maxBatch, maxWaitMs: limits.maxWaitMs, onBatch: (model, op, rows) => metrics.batchRows.observe({ model, op }, rows) })]));
  const app = Fastify({ bodyLimit: limits.bodyLimit, logger: false, return503OnClosing: true });
  let inFlight = 0;

  app.addContentTypeParser(['image/png', 'image/jpeg', 'image/webp'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  if (options.cors) await app.register(cors, { origin: options.cors });

  app.addHook('onRequest', async (request, reply) => {
    (request as { startedAt?: bigint }).startedAt = process.hrtime.bigint();
    const open = request.url === '/healthz' || request.url === '/readyz';
    if (options.token && !open) {
      const auth = request.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      if (!sameToken(given, options.token)) {
        reply.header('WWW-Authenticate', 'Bearer');
        return sendProblem(reply, 401, 'a bearer token is required: send "Authorization: Bearer TOKEN"', 'authorization');
      }
    }
  });
  // While draining, every answer closes its connection, so clients' keep-alive sockets do not hold the shutdown open.
  app.addHook('onSend', async (_request, reply) => {
    if (options.draining?.()) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    const started = (request as { startedAt?: bigint }).startedAt;
    if (started !== undefined) metrics.latency.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    if (reply.statusCode >= 400) metrics.errors.inc({ kind: reply.statusCode >= 500 ? 'server' : 'client' });
  });

  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof HttpProblem) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return sendProblem(reply, err.status, err.message, err.field);
    }
    if (err instanceof FieldError) return sendProblem(reply, 400, err.message, err.field);
    if (err instanceof UsageError) return sendProblem(reply, 400, err.message);
    const status = fastifyStatus(err as { code?: string; statusCode?: number });
    if (status !== undefined) return sendProblem(reply, status, (err as Error).message, 'body');
    return sendProblem(reply, 500, 'internal error; the server log has the details');
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}; see /docs`));

  // The pid tells replicas apart (--workers N processes behind one port).
  app.get('/healthz', async () => ({ status: 'ok', pid: process.pid }));
  app.get('/readyz', async (_request, reply) => (options.draining?.() ? sendProblem(reply, 503, 'shutting down') : { status: 'ready', models: [...served.keys()] }));
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.get('/openapi.json', async () => openApiDocument(OPERATIONS, [...served.keys()]));
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(OPERATIONS, services.map((s) => s.info()))));
  app.get('/v1/models', async () => ({ models: services.map((s) => s.info()) }));
  app.get('/v1/models/:name', async (request) => modelOf(served, (request.params as { name: string }).name).service.info());

  const handle = (operation: Operation, name: (request: FastifyRequest) => string) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (inFlight >= limits.queue) {
      metrics.rejected.inc();
      throw new HttpProblem(503, `the queue is full (${limits.queue} requests in flight); retry shortly`, undefined, { 'Retry-After': '1' });
    }
    inFlight++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const model = modelOf(served, name(request));
      const contentType = String(request.headers['content-type'] ?? 'application/json');
      const accepted = operation.rowsIn ? ROWS_TYPES : ['application/json'];
      if (!accepted.some((t) => contentType.startsWith(t))) throw new HttpProblem(415, `${operation.name} takes ${accepted.join(', ')}, got ${contentType}`, 'content-type');
      const body = parseRequest(operation.body, operation.rowsIn ? await rowsFromBody(model.service, contentType, request.body ?? {}) : (request.body ?? {}));
      checkRows(body as { inputs?: unknown[]; codes?: unknown[] }, limits.maxRows);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HttpProblem(503, `the answer took longer than ${limits.timeoutMs} ms`, undefined, { 'Retry-After': '1' })), limits.timeoutMs);
      });
      const result = (await Promise.race([operation.run(model, body as never), timeout])) as Record<string, unknown>;
      return render(request, reply, model.service, result, operation);
    } finally {
      clearTimeout(timer);
      inFlight--;
    }
  };
  const only = served.size === 1 ? [...served.keys()][0]! : undefined;
  for (const operation of OPERATIONS) {
    app.post(`/v1/models/:name/${operation.name}`, handle(operation, (request) => (request.params as { name: string }).name));
    // One model: its routes also answer without the name.
    if (only !== undefined) app.post(`/v1/${operation.name}`, handle(operation, () => only));
  }
  return { app, metrics };
}

function modelOf(served: ReadonlyMap<string, Served>, name: string): Served {
  const model = served.get(name);
  if (!model) throw new HttpProblem(404, `no model named '${name}' (serving: ${[...served.keys()].join(', ')})`, 'name');
  return model;
}

function checkRows(body: { inputs?: unknown[]; codes?: unknown[] }, maxRows: number): void {
  for (const field of ['inputs', 'codes'] as const) {
    const n = body[field]?.length ?? 0;
    if (n > maxRows) throw new FieldError(field, `has ${n} rows; this server takes at most ${maxRows} per request`);
  }
}

/** An answer's rows as CSV lines: scores with their flags, codes, or outputs under the model's columns. */
function* csvLines(service: ModelService, result: Record<string, unknown>): Generator<string> {
  if (Array.isArray(result.scores)) {
    const flags = result.is_anomaly as boolean[];
    yield 'row,score,is_anomaly\n';
    for (const [i, score] of (result.scores as number[]).entries()) yield `${i},${score},${flags[i] ? 1 : 0}\n`;
    return;
  }
  const rows = (result.codes ?? result.outputs) as number[][];
  const width = rows[0]?.length ?? 0;
  const names = result.codes ? Array.from({ length: width }, (_, j) => `z${j + 1}`) : (service.config.data.table?.columns ?? Array.from({ length: width }, (_, j) => `x${j + 1}`));
  yield `${names.join(',')}\n`;
  for (const row of rows) yield `${row.join(',')}\n`;
}

function render(request: FastifyRequest, reply: FastifyReply, service: ModelService, result: Record<string, unknown>, operation: Operation): unknown {
  const accept = request.headers.accept ?? '';
  if (/\btext\/csv\b/.test(accept)) {
    if (!Array.isArray(result.scores) && !Array.isArray(result.codes) && !Array.isArray(result.outputs)) throw new HttpProblem(406, `${operation.name} answers JSON; ask for application/json`, 'accept');
    // Written out as it is produced, a line at a time.
    return reply.type('text/csv; charset=utf-8').send(Readable.from(csvLines(service, result)));
  }
  if (!wantsPng(request)) return result;
  if (!operation.imagesOut || service.config.data.table) throw new HttpProblem(406, `${operation.name} answers JSON${operation.imagesOut ? ' for table models' : ''}; ask for application/json`, 'accept');
  const outputs = result.outputs as number[][];
  const flat = Float32Array.from(outputs.flat());
  const png = encodePng(tileImages(flat, outputs.length, service.model.config.inputShape, { cols: Math.min(outputs.length, 8) }));
  return reply.type('image/png').send(Buffer.from(png));
}
