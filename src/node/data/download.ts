/**
 * Fetch one file from a list of mirrors, verify its MD5 and move it into
 * place atomically, reporting progress on stderr.
 *
 * Networks fail in ways a plain fetch waits on forever (a mirror that
 * accepts the connection and then sends nothing), so every attempt has a
 * watchdog: no connection, headers or body bytes for the timeout aborts it.
 * A transient failure (network error, time-out, HTTP 5xx or 429) is retried
 * with exponential backoff before the next mirror is tried. Requests go
 * through the proxies of HTTP_PROXY / HTTPS_PROXY unless NO_PROXY exempts
 * the host.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../files/atomic.js';

/** Seconds without progress (connecting, waiting for headers, between body bytes) before an attempt is abandoned. */
export const TIMEOUT_ENV = 'LATENTKIT_DOWNLOAD_TIMEOUT';
/** Further attempts per mirror after a transient failure. */
export const RETRIES_ENV = 'LATENTKIT_DOWNLOAD_RETRIES';

const DEFAULT_TIMEOUT_S = 30;
const DEFAULT_RETRIES = 2;
const DEFAULT_BACKOFF_MS = 1000;

/** Options of {@link downloadVerified}. */
export interface DownloadOptions {
  /** Injectable for tests; default: undici's fetch through the proxies the environment names. */
  fetch?: typeof fetch;
  /** No progress output at all. */
  quiet?: boolean;
  /** Where progress goes; default `process.stderr`. */
  stream?: NodeJS.WriteStream;
  /** Where LATENTKIT_DOWNLOAD_*, HTTP(S)_PROXY and NO_PROXY are read; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Seconds without progress before an attempt is abandoned (default $LATENTKIT_DOWNLOAD_TIMEOUT, else 30). */
  timeout?: number;
  /** Further attempts per mirror after a transient failure (default $LATENTKIT_DOWNLOAD_RETRIES, else 2). */
  retries?: number;
  /** Wait before the first retry, doubled for each one after (default 1000 ms). */
  backoffMs?: number;
}

/** Reports bytes received: a cli-progress bar on a terminal, a few plain lines otherwise. */
interface Progress {
  update(received: number): void;
  stop(): void;
}

const MB = 1024 * 1024;

function silentProgress(): Progress {
  return { update: () => undefined, stop: () => undefined };
}

async function barProgress(stream: NodeJS.WriteStream, label: string, total: number): Promise<Progress> {
  const { default: cliProgress } = await import('cli-progress');
  // Count bytes (exact percentages even for small files), display megabytes.
  const formatValue = (v: number, _o: unknown, type: string): string => (type === 'value' || type === 'total' ? (v / MB).toFixed(1) : String(v));
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label} [{bar}] {percentage}% | {value}/{total} MB | ETA {eta_formatted}`, formatValue, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (received) => bar.update(received),
    stop: () => bar.stop(),
  };
}

/** Logs and CI output: one line per quarter (or per 5 MB when the size is unknown). */
function lineProgress(stream: NodeJS.WriteStream, label: string, total: number | undefined): Progress {
  let nextMark = 0;
  const step = total ? total / 4 : 5 * MB;
  return {
    update: (received) => {
      if (received < nextMark) return;
      const pct = total ? ` (${Math.round((100 * received) / total)}%)` : '';
      stream.write(`${label}: ${(received / MB).toFixed(1)} MB${pct}\n`);
      nextMark = (Math.floor(received / step) + 1) * step;
    },
    stop: () => undefined,
  };
}

async function makeProgress(options: DownloadOptions, label: string, total: number | undefined): Promise<Progress> {
  if (options.quiet) return silentProgress();
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY && total) return barProgress(stream, label, total);
  return lineProgress(stream, label, total);
}

/** Read a response body fully, reporting progress along the way. */
async function readBody(response: Response, progress: Progress): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  progress.update(0);
  if (response.body) {
    const reader = response.body.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      chunks.push(r.value);
      received += r.value.length;
      progress.update(received);
    }
  } else {
    chunks.push(new Uint8Array(await response.arrayBuffer()));
  }
  return Buffer.concat(chunks);
}

/** MD5 of `bytes` as lowercase hex. */
export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** A failure worth another attempt at the same mirror (the network, not the file). */
class TransientError extends Error {}
/** An answer that another attempt would not change (HTTP 404...). */
class PermanentError extends Error {}

/** The settings of {@link downloadVerified} with the environment's knobs applied. */
interface Settings {
  fetch: typeof fetch;
  /** Drops the proxy-aware dispatcher's connections once every body has been read (nothing with an injected fetch). */
  close(): Promise<void>;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
}

function envNumber(env: Record<string, string | undefined>, name: string, fallback: number, integer: boolean): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text);
  const ok = integer ? Number.isInteger(n) && n >= 0 : Number.isFinite(n) && n > 0;
  if (!ok) throw new UsageError(`${name} must be ${integer ? 'a whole number ≥ 0' : 'a number of seconds > 0'} (got '${text}')`);
  return n;
}

/** undici's fetch with a dispatcher that follows HTTP_PROXY, HTTPS_PROXY and NO_PROXY (read from `env`). */
async function proxiedFetch(env: Record<string, string | undefined>): Promise<Pick<Settings, 'fetch' | 'close'>> {
  const undici = await import('undici');
  // Explicit values (empty when unset), so `env` alone decides, not whatever process.env holds.
  const dispatcher = new undici.EnvHttpProxyAgent({
    httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? '',
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? '',
    noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
  });
  const proxied = ((input: string, init?: RequestInit) => undici.fetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
  return { fetch: proxied, close: () => dispatcher.destroy() };
}

/** Resolve the options against the environment; a bad knob is a UsageError naming it. */
export async function downloadSettings(options: DownloadOptions): Promise<Settings> {
  const env = options.env ?? process.env;
  const timeout = options.timeout ?? envNumber(env, TIMEOUT_ENV, DEFAULT_TIMEOUT_S, false);
  const retries = options.retries ?? envNumber(env, RETRIES_ENV, DEFAULT_RETRIES, true);
  const transport = options.fetch ? { fetch: options.fetch, close: async () => undefined } : await proxiedFetch(env);
  return { ...transport, timeoutMs: timeout * 1000, retries, backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS };
}

/** Aborts `controller` when `kick` has not been called for `ms`; `stop` ends the watch. */
function watchdog(controller: AbortController, ms: number): { kick(): void; stop(): void; fired(): boolean } {
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  const kick = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      fired = true;
      controller.abort();
    }, ms);
  };
  kick();
  return { kick, stop: () => clearTimeout(timer), fired: () => fired };
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** Fetch one URL once and check its MD5; returns the bytes or throws an Error saying what went wrong. */
async function fetchOnce(url: string, md5: string, label: string, options: DownloadOptions, settings: Settings): Promise<Uint8Array> {
  const controller = new AbortController();
  const dog = watchdog(controller, settings.timeoutMs);
  let bytes: Uint8Array;
  try {
    const response = await settings.fetch(url, { signal: controller.signal });
    dog.kick();
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      throw response.status >= 500 || response.status === 429 ? new TransientError(status) : new PermanentError(status);
    }
    const length = Number(response.headers.get('content-length')) || undefined;
    const progress = await makeProgress(options, label, length);
    try {
      bytes = await readBody(response, { update: (n) => (dog.kick(), progress.update(n)), stop: progress.stop });
    } finally {
      progress.stop();
    }
  } catch (err) {
    if (dog.fired()) throw new TransientError(`timed out: no data for ${seconds(settings.timeoutMs)} (${TIMEOUT_ENV})`);
    if (err instanceof TransientError || err instanceof PermanentError) throw err;
    // A name that does not resolve will not resolve a second later; other network errors (reset, refused) may pass.
    const code = ((err as Error & { cause?: { code?: unknown } })?.cause?.code ?? '') as string;
    throw code === 'ENOTFOUND' || /ENOTFOUND/.test(describe(err)) ? new PermanentError(describe(err)) : new TransientError(describe(err));
  } finally {
    dog.stop();
  }
  const actual = md5Hex(bytes);
  if (actual !== md5) throw new Error(`checksum mismatch: MD5 ${actual}, expected ${md5}`);
  return bytes;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Fetch one URL, retrying transient failures with backoff; the error of the last attempt says how many there were. */
async function fetchChecked(url: string, md5: string, label: string, options: DownloadOptions, settings: Settings): Promise<Uint8Array> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchOnce(url, md5, label, options, settings);
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
      if (attempt >= settings.retries) throw new Error(`${err.message}${attempt > 0 ? ` (${attempt + 1} attempts)` : ''}`);
      if (!options.quiet) (options.stream ?? process.stderr).write(`${url}: ${err.message}; retrying\n`);
      await sleep(settings.backoffMs * 2 ** attempt);
    }
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // Node's fetch says only "fetch failed"; the cause holds the useful part (ENOTFOUND, ECONNREFUSED…).
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}

/**
 * Try each URL in turn until one serves bytes with the expected MD5, then
 * write them to `target` atomically (temporary file + rename), so an
 * interrupted download never leaves a partial file under the final name.
 *
 * @returns the URL that worked, or a list of `url: reason` failures
 * @throws the file-system error when writing `target` fails
 */
export async function downloadVerified(urls: string[], md5: string, target: string, options: DownloadOptions = {}): Promise<{ ok: true; url: string } | { ok: false; failures: string[] }> {
  const settings = await downloadSettings(options);
  try {
    return await firstGoodMirror(urls, md5, target, options, settings);
  } finally {
    await settings.close();
  }
}

async function firstGoodMirror(urls: string[], md5: string, target: string, options: DownloadOptions, settings: Settings): Promise<{ ok: true; url: string } | { ok: false; failures: string[] }> {
  const failures: string[] = [];
  for (const url of urls) {
    let bytes: Uint8Array;
    try {
      bytes = await fetchChecked(url, md5, `downloading ${url}`, options, settings);
    } catch (err) {
      failures.push(`${url}: ${describe(err)}`);
      continue;
    }
    // Outside the try: a local write error (EACCES, ENOSPC) is not a mirror failure.
    writeFileAtomic(target, bytes);
    return { ok: true, url };
  }
  return { ok: false, failures };
}
