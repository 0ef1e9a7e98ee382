/**
 * `latentkit serve` on a real port: every route against the library's own
 * answers, a corpus of malformed requests each answered 4xx naming the field,
 * concurrent clients sharing dynamic batches, the token, and SIGTERM under load.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreDataset } from '../src/core/apps/detect/scores.js';
import { decodeCodes, encodeCodes } from '../src/core/models/inference.js';
import { serveRequest } from '../src/core/requests/serve.js';
import { parseRequest } from '../src/core/requests/validate.js';
import type { ModelService } from '../src/core/serve/service.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { BIN, cli, setup, tempDir } from './helpers.js';

let dir: string;
let run: string;
let server: RunningServer;
let service: ModelService;

const rows = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Array.from({ length: 784 }, (_, j) => ((i * 7919 + j * 104729 + seed * 31) % 1000) / 1000));

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const type = r.headers.get('content-type') ?? '';
  return { status: r.status, type, body: type.includes('json') ? ((await r.json()) as Record<string, unknown>) : await r.arrayBuffer(), headers: r.headers };
}

beforeAll(async () => {
  await setup('cpu');
  dir = tempDir();
  run = path.join(dir, 'vae');
  for (const args of [
    ['train', '--model', 'vae', '--dataset', 'sprites', '--limit', '512', '--epochs', '1', '--hidden', '32', '--latent', '3', '--backend', 'cpu', '--out', run, '--quiet'],
    ['detect', 'fit', '--run', run, '--score', 'recon', '--limit', '200', '--backend', 'cpu', '--quiet'],
    ['search', 'index', '--run', run, '--split', 'test', '--limit', '300', '--backend', 'cpu', '--quiet'],
  ]) {
    const r = cli(args, dir);
    expect(r.code, r.stderr).toBe(0);
  }
  server = await startServer(parseRequest(serveRequest, { run: [run], port: 0, backend: 'cpu', maxWaitMs: 5 }));
  service = server.services[0]!;
}, 180_000);

afterAll(async () => {
  await server?.close();
});

describe('routes', () => {
  it('health, readiness, metrics, OpenAPI, docs and the model list', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok', pid: process.pid });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready', models: ['vae'] });
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { models: { name: string; latent: number; features: number; supports: Record<string, boolean> }[] };
    expect(models.models).toMatchObject([{ name: 'vae', latent: 3, features: 784, supports: { sample: true, score: true, search: true } }]);
    const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, { post?: { requestBody: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } } }> };
    expect(openapi.openapi).toBe('3.1.0');
    for (const op of ['encode', 'decode', 'reconstruct', 'sample', 'score', 'impute', 'denoise', 'search', 'interpolate']) expect(openapi.paths[`/v1/models/{name}/${op}`]?.post, op).toBeDefined();
    expect(Object.keys(openapi.paths['/v1/models/{name}/sample']!.post!.requestBody.content['application/json']!.schema.properties!)).toEqual(['n', 'label', 'seed', 'temperature']);
    expect(await (await fetch(`${server.url}/docs`)).text()).toContain('/v1/models/{name}/encode');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/latentkit_requests_total\{route="\/healthz",status="200"\} 1/);
    expect(metrics).toMatch(/latentkit_tensors \d+/);
  });

  it('encode, decode, reconstruct, denoise and score answer what the library computes on the same rows', async () => {
    const x = rows(5, 1);
    const ds = service.dataset(service.rows(x, undefined));
    const codes = encodeCodes(service.model, ds);
    const encoded = await post(`${server.url}/v1/models/vae/encode`, { inputs: x });
    expect(encoded.status).toBe(200);
    expect((encoded.body as { codes: number[][] }).codes.flat()).toEqual(Array.from(codes));
    // the single-model alias answers the same
    expect((await post(`${server.url}/v1/encode`, { inputs: x })).body).toEqual(encoded.body);

    const decoded = decodeCodes(service.model, codes, 5);
    const d = await post(`${server.url}/v1/decode`, { codes: (encoded.body as { codes: number[][] }).codes });
    expect((d.body as { outputs: number[][] }).outputs.flat()).toEqual(Array.from(decoded));
    for (const op of ['reconstruct', 'denoise']) expect((await post(`${server.url}/v1/${op}`, { inputs: x })).body).toEqual(d.body);

    const scores = scoreDataset(service.model, ds, service.detector!.score);
    const s = (await post(`${server.url}/v1/score`, { inputs: x })).body as { scores: number[]; is_anomaly: boolean[]; threshold: number };
    expect(s.scores).toEqual(Array.from(scores, (v) => Math.fround(v)));
    expect(s.threshold).toBe(service.detector!.threshold);
    expect(s.is_anomaly).toEqual(s.scores.map((v) => v > s.threshold));
  });

  it('sample, impute, search and interpolate; images in and out', async () => {
    const sampled = await post(`${server.url}/v1/sample`, { n: 4, seed: 3 });
    expect((sampled.body as { outputs: number[][] }).outputs).toHaveLength(4);
    expect(await post(`${server.url}/v1/sample`, { n: 4, seed: 3 })).toMatchObject({ body: sampled.body });

    const png = await post(`${server.url}/v1/sample`, { n: 4 }, { accept: 'image/png' });
    expect(png.type).toBe('image/png');
    expect(Array.from(new Uint8Array(png.body as ArrayBuffer).subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // "PNG"

    const [row] = rows(1, 2);
    const holed = row!.map((v, j) => (j % 10 === 0 ? null : v));
    const imputed = (await post(`${server.url}/v1/impute`, { inputs: [holed] })).body as { outputs: number[][] };
    // observed entries come back unchanged (as float32), the holes are filled with pixel values
    imputed.outputs[0]!.forEach((v, j) => (j % 10 === 0 ? expect(v).toBeGreaterThanOrEqual(0) : expect(v).toBe(Math.fround(row![j]!))));

    const hits = (await post(`${server.url}/v1/search`, { inputs: [row], k: 3 })).body as { neighbors: { index: number; distance: number }[][] };
    expect(hits.neighbors[0]).toHaveLength(3);
    expect(hits.neighbors[0]!.map((h) => h.distance)).toEqual([...hits.neighbors[0]!.map((h) => h.distance)].sort((a, b) => a - b));

    const path5 = (await post(`${server.url}/v1/interpolate`, { inputs: rows(2, 4), steps: 5 })).body as { codes: number[][]; outputs: number[][] };
    const ends = (await post(`${server.url}/v1/encode`, { inputs: rows(2, 4) })).body as { codes: number[][] };
    expect(path5.codes[0]).toEqual(ends.codes[0]);
    expect(path5.codes[4]!.map((v) => Math.fround(v))).toEqual(ends.codes[1]);

    // CSV out: scores with their flags, and codes under z1..zd
    const scoredCsv = await fetch(`${server.url}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/csv' }, body: JSON.stringify({ inputs: rows(3, 5) }) });
    expect(scoredCsv.headers.get('content-type')).toMatch(/^text\/csv/);
    const scoredJson = (await post(`${server.url}/v1/score`, { inputs: rows(3, 5) })).body as { scores: number[]; is_anomaly: boolean[] };
    expect((await scoredCsv.text()).trim().split('\n')).toEqual(['row,score,is_anomaly', ...scoredJson.scores.map((v, i) => `${i},${v},${scoredJson.is_anomaly[i] ? 1 : 0}`)]);
    const codesCsv = await (await fetch(`${server.url}/v1/encode`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/csv' }, body: JSON.stringify({ inputs: rows(2, 5) }) })).text();
    expect(codesCsv.split('\n')[0]).toBe('z1,z2,z3');
    expect(codesCsv.trim().split('\n')).toHaveLength(3);

    // a PNG body is one row: the same image as JSON pixels gives the same code
    const { encodePng, tileImages } = await import('../src/core/viz/grid.js');
    const image = Float32Array.from(row!, (v) => Math.round(v * 255) / 255);
    const bytes = encodePng(tileImages(image, 1, [28, 28, 1], { cols: 1, pad: 0 }));
    const byImage = await fetch(`${server.url}/v1/encode`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: Buffer.from(bytes) });
    expect(byImage.status).toBe(200);
    const expected = (await post(`${server.url}/v1/encode`, { inputs: [Array.from(image)] })).body as { codes: number[][] };
    expect(await byImage.json()).toEqual(expected);

    // A lossless WebP of the same picture gives about the same code; a PNG of another size is resized, not refused.
    const { default: sharp } = await import('sharp');
    const webp = await sharp(Buffer.from(bytes)).webp({ lossless: true }).toBuffer();
    const byWebp = await fetch(`${server.url}/v1/encode`, { method: 'POST', headers: { 'content-type': 'image/webp' }, body: webp });
    expect(byWebp.status).toBe(200);
    const webpCodes = ((await byWebp.json()) as { codes: number[][] }).codes[0]!;
    webpCodes.forEach((z, d) => expect(Math.abs(z - expected.codes[0]![d]!)).toBeLessThan(0.05));
    const big = await sharp(Buffer.from(bytes)).resize(56, 56).png().toBuffer();
    const byBig = await fetch(`${server.url}/v1/encode`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: big });
    expect(byBig.status).toBe(200);
  });
});

describe('bad requests', () => {
  const wide = JSON.stringify({ inputs: [new Array(785).fill(0)] });
  const corpus: [string, RequestInit & { path?: string }, number, string | undefined][] = [
    ['truncated JSON', { body: '{"inputs": [[0.1, 0.2' }, 400, 'body'],
    ['an empty body', { body: '' }, 400, 'body'],
    ['the wrong content type', { body: 'hello', headers: { 'content-type': 'text/plain' } }, 415, 'content-type'],
    ['a row of the wrong width', { body: wide }, 400, 'inputs[0]'],
    ['a string in a number field', { body: '{"inputs": [["a"]]}' }, 400, 'inputs'],
    ['NaN (not JSON)', { body: '{"inputs": [[NaN]]}' }, 400, 'body'],
    ['a pixel outside [0, 1]', { body: JSON.stringify({ inputs: [[2, ...new Array(783).fill(0)]] }) }, 400, 'inputs[0][0]'],
    ['an empty list', { body: '{"inputs": []}' }, 400, 'inputs'],
    ['null where a value is needed', { body: JSON.stringify({ inputs: [[null, ...new Array(783).fill(0)]] }) }, 400, 'inputs[0][0]'],
    ['an unknown field', { body: '{"inputs": [[0]], "extra": 1}' }, 400, 'extra'],
    ['an unknown model', { body: '{"codes": [[0, 0, 0]]}', path: '/v1/models/nope/decode' }, 404, 'name'],
    ['codes of the wrong size', { body: '{"codes": [[0, 0]]}', path: '/v1/decode' }, 400, 'codes[0]'],
    ['n out of range', { body: '{"n": 0}', path: '/v1/sample' }, 400, 'n'],
    ['k out of range', { body: '{"inputs": [[0]], "k": 0}', path: '/v1/search' }, 400, 'k'],
    ['a huge body', { body: JSON.stringify({ inputs: [new Array(5_000_000).fill(0.5)] }) }, 413, 'body'],
    ['too many rows', { body: JSON.stringify({ inputs: new Array(1025).fill([0]) }) }, 400, 'inputs'],
    ['a corrupt image', { body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), headers: { 'content-type': 'image/png' } }, 400, undefined],
    ['an unknown route', { body: '{}', path: '/v1/models/vae/explode' }, 404, undefined],
  ];

  it.each(corpus)('%s is a 4xx problem naming the field', async (_what, init, status, field) => {
    const { path: route = '/v1/encode', ...rest } = init;
    const r = await fetch(`${server.url}${route}`, { method: 'POST', ...rest, headers: { 'content-type': 'application/json', ...(rest.headers as Record<string, string>) } });
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await r.json()) as { status: number; detail: string; field?: string };
    expect(problem.status).toBe(status);
    expect(problem.detail.length).toBeGreaterThan(5);
    if (field !== undefined) expect(problem.field).toBe(field);
  });

  it('no tensors are left behind by answers or refusals', async () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      await post(`${server.url}/v1/score`, { inputs: rows(2, i) });
      await post(`${server.url}/v1/encode`, { inputs: [[0.5]] });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('under load', () => {
  it('64 concurrent clients: no errors, answers equal to one-at-a-time, and batches larger than one', async () => {
    const clients = 64;
    const perClient = 8;
    const inputs = Array.from({ length: clients }, (_, c) => rows(1, 100 + c));
    const expected = inputs.map((x) => Array.from(encodeCodes(service.model, service.dataset(service.rows(x, undefined)))));
    const answers = await Promise.all(
      inputs.map(async (x) => {
        const got: number[][] = [];
        for (let i = 0; i < perClient; i++) {
          const r = await post(`${server.url}/v1/encode`, { inputs: x });
          expect(r.status).toBe(200);
          got.push((r.body as { codes: number[][] }).codes[0]!);
        }
        return got;
      }),
    );
    // Batched float sums may round differently in the last bit than a batch of one.
    answers.forEach((got, c) => got.forEach((z) => z.forEach((v, j) => expect(v).toBeCloseTo(expected[c]![j]!, 5))));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const count = Number(/latentkit_batch_rows_count\{model="vae",op="encode"\} (\d+)/.exec(metrics)![1]);
    const sum = Number(/latentkit_batch_rows_sum\{model="vae",op="encode"\} (\d+)/.exec(metrics)![1]);
    expect(sum / count).toBeGreaterThan(1.5);
  }, 60_000);
});

describe('limits', () => {
  it('a full queue answers 503 with Retry-After, and a request waiting past its timeout 503', async () => {
    // Requests wait 300 ms in the batcher, so concurrent ones pile up.
    const small = await startServer(parseRequest(serveRequest, { run: [`q=${run}`], port: 0, backend: 'cpu', queue: 2, maxWaitMs: 300 }));
    try {
      const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(`${small.url}/v1/encode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: rows(1, 1) }) })));
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 503, 503, 503, 503]);
      const refused = answers.find((r) => r.status === 503)!;
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/queue is full/) });
    } finally {
      await small.close();
    }
    const slow = await startServer(parseRequest(serveRequest, { run: [`t=${run}`], port: 0, backend: 'cpu', timeoutMs: 20, maxWaitMs: 500 }));
    try {
      const r = await post(`${slow.url}/v1/encode`, { inputs: rows(1, 1) });
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ detail: expect.stringMatching(/longer than 20 ms/) });
    } finally {
      await slow.close();
    }
  });
});

describe('the token', () => {
  it('is required on every route but health, and compared exactly', async () => {
    const guarded = await startServer(parseRequest(serveRequest, { run: [`m=${run}`], port: 0, backend: 'cpu', token: 'secret-token-1' }));
    try {
      expect((await fetch(`${guarded.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${guarded.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${guarded.url}/v1/models`)).status).toBe(401);
      expect((await post(`${guarded.url}/v1/models/m/sample`, { n: 1 }, { authorization: 'Bearer secret-token-2' })).status).toBe(401);
      expect((await post(`${guarded.url}/v1/models/m/sample`, { n: 1 }, { authorization: 'Bearer secret-token-1' })).status).toBe(200);
      expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer secret-token-1' } })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe('the CLI', () => {
  it('refuses bad flags with one line and exit 2, and names that cannot be URLs', () => {
    for (const [args, message] of [
      [['--port', '70000'], /^latentkit: error: --port must be ≤ 65535/],
      [['--max-batch', '0'], /^latentkit: error: --max-batch must be ≥ 1/],
      [['--token', 'short'], /^latentkit: error: --token needs at least 8 characters/],
    ] as [string[], RegExp][]) {
      const r = cli(['serve', '--run', run, ...args], dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const r = cli(['serve', '--run', `../x=${run}`], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--run item 1: '..\/x' is not a usable name/);
    const missing = cli(['serve', '--run', path.join(dir, 'nothing')], dir);
    expect(missing.code).toBe(2);
  });

  it('--workers 2: two processes answer on one port, and SIGTERM stops both with exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--run', run, '--port', '0', '--backend', 'cpu', '--workers', '2'], { cwd: dir });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /at (http:\/\/\S+) with 2 worker processes/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const pids = new Set<number>();
    // A new connection each time: the primary hands connections to the workers in turn.
    for (let i = 0; i < 20 && pids.size < 2; i++) pids.add(((await (await fetch(`${url}/healthz`, { headers: { connection: 'close' } })).json()) as { pid: number }).pid);
    expect(pids.size).toBe(2);
    expect(pids.has(child.pid!)).toBe(false);
    const encoded = await post(`${url}/v1/encode`, { inputs: rows(1, 3) });
    expect(encoded.status).toBe(200);
    child.kill('SIGTERM');
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    expect(await exited).toBe(0);
    clearTimeout(guard);
  }, 60_000);

  it('SIGTERM under load: accepted requests are all answered, then exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--run', run, '--port', '0', '--backend', 'cpu'], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /at (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    const x = rows(4, 9);
    let answered = 0;
    let signalled = false;
    const terminate = () => {
      if (!signalled) (signalled = true), child.kill('SIGTERM');
    };
    // Stop the server once answers flow, with most requests still in flight (or after 5 s at most).
    const fallback = setTimeout(terminate, 5000);
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async () => {
        try {
          const r = await fetch(`${url}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: x }) });
          await r.arrayBuffer();
          if (r.status === 200) answered++;
          terminate();
          return r.status;
        } catch {
          return 'refused'; // not accepted: the listener had closed
        }
      }),
    );
    clearTimeout(fallback);
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(guard);
    expect(code, `exit code; stderr: ${stderr}; outcomes: ${JSON.stringify(outcomes.slice(0, 20))}`).toBe(0);
    // requests in flight when the signal came were still answered
    expect(answered).toBeGreaterThan(1);
    // every request is either answered, refused at connect, or told 503 while closing: none is dropped mid-answer
    expect(outcomes.filter((o) => o !== 200 && o !== 'refused' && o !== 503)).toEqual([]);
    expect(fs.existsSync(run)).toBe(true);
  }, 60_000);
});
