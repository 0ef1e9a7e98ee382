/**
 * Property-based fuzzing (fast-check): arbitrary bytes and mutated valid
 * inputs given to the parsers and to the service only ever give the
 * project's own usage error (a 4xx problem body from the service), never
 * another exception, a hang or a 500.
 */
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLkz } from '../src/core/apps/compress/format.js';
import { decodeIndex } from '../src/core/apps/search/index-file.js';
import { parseCsvText } from '../src/core/data/csv/parse.js';
import { encodeIdx, parseIdx } from '../src/core/data/idx.js';
import { UsageError } from '../src/core/errors.js';
import { decodeImage } from '../src/core/io/image.js';
import { decodeNpy, encodeNpy } from '../src/core/io/npy.js';
import { serveRequest } from '../src/core/requests/serve.js';
import { parseRequest } from '../src/core/requests/validate.js';
import { parseRunConfig } from '../src/core/run/config.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { cli, setup, tempDir } from './helpers.js';

/** Runs `parse` and accepts a result or a UsageError; anything else fails the property. */
const onlyUsageErrors = (parse: () => unknown) => {
  try {
    parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
  }
};

/** A valid file with a few bytes changed, cut short, or extended. */
const mutated = (valid: Uint8Array) =>
  fc.oneof(
    fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
      const copy = valid.slice();
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    }),
    fc.nat(valid.length).map((n) => valid.slice(0, n)),
    fc.uint8Array({ maxLength: 64 }).map((tail) => Uint8Array.from([...valid, ...tail])),
  );

const bytes = fc.uint8Array({ maxLength: 512 });
const RUNS = { numRuns: 300 };

describe('parsers', () => {
  const idx = encodeIdx('images', [3, 4, 4], Uint8Array.from({ length: 48 }, (_, i) => i));
  const npy = encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);

  it('IDX: arbitrary and mutated bytes', () => {
    fc.assert(fc.property(fc.oneof(bytes, mutated(idx)), (b) => onlyUsageErrors(() => parseIdx(b, 'f'))), RUNS);
  });
  it('npy: arbitrary and mutated bytes', () => {
    fc.assert(fc.property(fc.oneof(bytes, mutated(npy)), (b) => onlyUsageErrors(() => decodeNpy(b))), RUNS);
  });
  it('.lkz and search indexes: arbitrary bytes', () => {
    fc.assert(fc.property(bytes, (b) => (onlyUsageErrors(() => decodeLkz(b)), onlyUsageErrors(() => decodeIndex(b)))), RUNS);
  });
  it('PNG/JPEG queries: arbitrary bytes', () => {
    fc.assert(fc.property(fc.oneof(bytes, bytes.map((b) => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...b]))), (b) => onlyUsageErrors(() => decodeImage(b, 'q.png', [28, 28, 1]))), RUNS);
  });
  it('CSV text and config.json: arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => (onlyUsageErrors(() => parseCsvText(s)), onlyUsageErrors(() => parseRunConfig(s, 'config.json')))), RUNS);
    fc.assert(fc.property(fc.jsonValue(), (v) => onlyUsageErrors(() => parseRunConfig(JSON.stringify(v), 'config.json'))), RUNS);
  });
});

describe('the service', () => {
  let server: RunningServer;

  beforeAll(async () => {
    await setup('cpu');
    const dir = tempDir();
    const run = path.join(dir, 'ae');
    const r = cli(['train', '--model', 'ae', '--dataset', 'sprites', '--limit', '256', '--epochs', '1', '--hidden', '16', '--latent', '2', '--backend', 'cpu', '--out', run, '--quiet'], dir);
    expect(r.code, r.stderr).toBe(0);
    server = await startServer(parseRequest(serveRequest, { run: [run], port: 0, backend: 'cpu', maxRows: 64 }));
  }, 120_000);
  afterAll(async () => server?.close());

  const routes = ['encode', 'decode', 'reconstruct', 'denoise', 'sample', 'score', 'impute', 'search', 'interpolate'];
  const types = ['application/json', 'text/csv', 'image/png', 'image/jpeg', 'text/plain', 'application/octet-stream'];

  /** Every answer is a success or a client error with a problem body; never a 5xx. */
  const check = async (route: string, contentType: string, body: Uint8Array | string) => {
    const r = await fetch(`${server.url}/v1/${route}`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : Buffer.from(body) });
    const text = await r.text();
    if (r.status >= 500) throw new Error(`${route} ${contentType}: ${r.status} ${text.slice(0, 200)}`);
    if (r.status >= 400) expect(JSON.parse(text)).toMatchObject({ status: r.status, detail: expect.any(String) });
  };

  it('arbitrary JSON values to every route', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...routes), fc.jsonValue({ maxDepth: 3 }), (route, v) => check(route, 'application/json', JSON.stringify(v))), { numRuns: 300 });
  });

  it('bodies shaped like requests, with wrong values in them', async () => {
    const value = fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null), fc.boolean());
    const row = fc.array(value, { maxLength: 800 });
    const body = fc.record({ inputs: fc.oneof(fc.array(row, { maxLength: 3 }), value), codes: fc.array(fc.array(value, { maxLength: 4 }), { maxLength: 3 }), n: value, k: value, steps: value, labels: fc.array(value, { maxLength: 3 }) }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(fc.constantFrom(...routes), body, (route, b) => check(route, 'application/json', JSON.stringify(b))), { numRuns: 300 });
  });

  it('arbitrary bytes under every content type', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...routes), fc.constantFrom(...types), bytes, (route, type, b) => check(route, type, b)), { numRuns: 300 });
  });
});
