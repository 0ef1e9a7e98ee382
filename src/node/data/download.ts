/**
 * Fetch one file from a list of mirrors, verify its MD5 and move it into
 * place atomically, reporting progress on stderr.
 */
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../files/atomic.js';

/** Options of {@link downloadVerified}. */
export interface DownloadOptions {
  /** Injectable for tests; default: the global `fetch`. */
  fetch?: typeof fetch;
  /** No progress output at all. */
  quiet?: boolean;
  /** Where progress goes; default `process.stderr`. */
  stream?: NodeJS.WriteStream;
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

/** Fetch one URL and check its MD5; returns the bytes or throws an Error saying what went wrong. */
async function fetchChecked(url: string, md5: string, label: string, options: DownloadOptions): Promise<Uint8Array> {
  const response = await (options.fetch ?? fetch)(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  const length = Number(response.headers.get('content-length')) || undefined;
  const progress = await makeProgress(options, label, length);
  let bytes: Uint8Array;
  try {
    bytes = await readBody(response, progress);
  } finally {
    progress.stop();
  }
  const actual = md5Hex(bytes);
  if (actual !== md5) throw new Error(`checksum mismatch: MD5 ${actual}, expected ${md5}`);
  return bytes;
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
  const failures: string[] = [];
  for (const url of urls) {
    let bytes: Uint8Array;
    try {
      bytes = await fetchChecked(url, md5, `downloading ${url}`, options);
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
