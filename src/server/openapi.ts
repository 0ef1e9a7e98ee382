/** The OpenAPI 3.1 document and the docs page, generated from the operations and their body schemas. */
import { z } from 'zod';
import { VERSION } from '../core/version.js';
import type { ModelInfo } from '../core/serve/service.js';
import type { Operation } from './operations.js';

const problem = {
  description: 'a problem (RFC 9457): `detail` says what is wrong, `field` names the request field when one is at fault',
  content: {
    'application/problem+json': {
      schema: { type: 'object', properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, field: { type: 'string' } }, required: ['title', 'status', 'detail'] },
    },
  },
};

function operationPath(operation: Operation) {
  const content: Record<string, unknown> = { 'application/json': { schema: z.toJSONSchema(operation.body, { io: 'input', unrepresentable: 'any' }) } };
  if (operation.rowsIn) {
    content['image/png'] = { schema: { type: 'string', format: 'binary' }, description: 'one image, resized to the model input' };
    content['image/jpeg'] = { schema: { type: 'string', format: 'binary' } };
    content['image/webp'] = { schema: { type: 'string', format: 'binary' } };
    content['text/csv'] = { schema: { type: 'string' }, description: 'a table with a header line naming the feature columns (table models)' };
  }
  const answers: Record<string, unknown> = { 'application/json': { schema: { type: 'object' } } };
  if (operation.imagesOut) answers['image/png'] = { schema: { type: 'string', format: 'binary' }, description: 'the outputs as an image grid (image models)' };
  return {
    post: {
      operationId: operation.name,
      summary: operation.summary,
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'model name (GET /v1/models lists them)' }],
      requestBody: { required: true, content },
      responses: { '200': { description: 'the answer', content: answers }, '400': problem, '401': problem, '404': problem, '413': problem, '415': problem, '503': problem },
    },
  };
}

export function openApiDocument(operations: readonly Operation[], models: readonly string[]) {
  const paths: Record<string, unknown> = {
    '/healthz': { get: { summary: 'the process is alive', responses: { '200': { description: 'ok' } } } },
    '/readyz': { get: { summary: 'models are loaded and requests are taken', responses: { '200': { description: 'ready' }, '503': problem } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    '/v1/models': { get: { summary: 'the models served, with their input shape, latent size and what each supports', responses: { '200': { description: 'models' } } } },
  };
  for (const operation of operations) paths[`/v1/models/{name}/${operation.name}`] = operationPath(operation);
  return {
    openapi: '3.1.0',
    info: { title: 'latentkit model service', version: VERSION, description: `Serving: ${models.join(', ')}. Bodies are checked field by field; a bad one is answered 4xx with a problem body naming the field.` },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function docsPage(operations: readonly Operation[], models: readonly ModelInfo[]): string {
  const rows = operations.map((o) => {
    const fields = Object.entries(o.body.shape)
      .map(([k, v]) => {
        const description = z.globalRegistry.get(v as z.ZodType)?.description;
        return `<code>${k}</code>${description ? `: ${escape(description)}` : ''}`;
      })
      .join('<br>');
    return `<tr><td><code>POST /v1/models/{name}/${o.name}</code></td><td>${escape(o.summary)}</td><td>${fields}</td></tr>`;
  });
  const list = models.map((m) => `<li><code>${escape(m.name)}</code>: ${escape(m.model)}, input ${m.inputShape.join('×')}, latent ${m.latent}${m.supports.score ? ', scores anomalies' : ''}${m.supports.search ? ', searches' : ''}</li>`);
  return `<!doctype html><meta charset="utf-8"><title>latentkit service</title>
<style>body{font:15px system-ui;margin:2em;max-width:70em}td{vertical-align:top;padding:.4em;border-top:1px solid #ddd}code{font-size:13px}</style>
<h1>latentkit model service</h1><p>Models:</p><ul>${list.join('')}</ul>
<p>JSON in and out; errors are <code>application/problem+json</code> with the field at fault. Machine-readable: <a href="/openapi.json">/openapi.json</a>. Also <code>GET /healthz</code>, <code>/readyz</code>, <code>/metrics</code>, <code>/v1/models</code>.</p>
<table><tr><th>route</th><th>does</th><th>body</th></tr>${rows.join('')}</table>`;
}
