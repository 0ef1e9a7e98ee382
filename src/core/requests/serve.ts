/**
 * The settings of the model service (`latentkit serve`): which runs, where it
 * listens, and its limits. The CLI's flags come from this schema.
 */
import { z } from 'zod';
import { MAX_ROWS } from '../serve/bodies.js';
import { described, engineFields } from './fields.js';

/** A run's name in URLs: letters, digits, '.', '_' and '-', so a name never reaches outside the given folders. */
export const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const serveRequest = z.strictObject({
  run: described(z.array(z.string().min(1)).min(1).max(64), { arg: '[NAME=]RUN', description: 'a run folder to serve, named NAME in URLs (default: the folder name); repeat the flag for more runs' }),
  port: described(z.int().min(0).max(65535).default(8080), { arg: 'N', description: 'TCP port (0: any free port)' }),
  host: described(z.string().min(1).default('127.0.0.1'), { arg: 'HOST', description: 'address to listen on (0.0.0.0 for every interface)' }),
  token: described(z.string().min(8).optional(), { arg: 'TOKEN', description: 'require "Authorization: Bearer TOKEN" on every route but /healthz and /readyz (or $LATENTKIT_TOKEN)' }),
  cors: described(z.string().min(1).optional(), { arg: 'ORIGIN', description: 'allow cross-origin requests from ORIGIN (off when not given)' }),
  maxBatch: described(z.int().min(1).max(MAX_ROWS).default(64), { arg: 'N', description: 'rows per dynamic batch at most (1: no batching)' }),
  maxWaitMs: described(z.number().min(0).max(1000).default(0), { arg: 'MS', description: 'how long a request waits for others to share its batch' }),
  maxRows: described(z.int().min(1).max(MAX_ROWS).default(1024), { arg: 'N', description: 'rows per request at most' }),
  bodyLimit: described(z.int().min(1024).max(1 << 30).default(16 << 20), { arg: 'BYTES', description: 'request body size at most' }),
  timeoutMs: described(z.int().min(1).max(600_000).default(30_000), { arg: 'MS', description: 'a request still waiting after this is answered 503' }),
  queue: described(z.int().min(1).max(1_000_000).default(1024), { arg: 'N', description: 'requests in flight at most; more are answered 503 with Retry-After' }),
  workers: described(z.int().min(1).max(256).default(1), { arg: 'N', description: 'server processes sharing the port, each with its own engine' }),
  ...engineFields,
});

export type ServeRequest = z.output<typeof serveRequest>;
export type ServeLimits = Omit<ServeRequest, 'run' | 'port' | 'host' | 'workers' | 'backend' | 'threads'>;

/** The settings of the browser lab's local server (`latentkit lab`). */
export const labRequest = z.strictObject({
  port: described(z.int().min(0).max(65535).default(5173), { arg: 'N', description: 'TCP port (0: any free port)' }),
  host: described(z.string().min(1).default('127.0.0.1'), { arg: 'HOST', description: 'address to listen on' }),
  runs: described(z.string().min(1).optional(), { arg: 'DIR', description: 'a folder of run folders the page may open' }),
  dataDir: described(z.string().min(1).optional(), { arg: 'DIR', description: 'folder with mnist/ and fashion-mnist/ IDX files (default: $LATENTKIT_DATA_DIR, then the cache)' }),
});

export type LabRequest = z.output<typeof labRequest>;
