// Downloads against local servers (no real network): time-outs, retries, mirrors and proxies.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { UsageError } from '../../core/errors.js';
import { downloadVerified, md5Hex } from './download.js';

const FILE = Uint8Array.from({ length: 4096 }, (_, i) => (i * 31) % 251);
const MD5 = md5Hex(FILE);

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A local server; its URL for `file`. */
async function serve(handler: http.RequestListener): Promise<(file?: string) => string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return (file = 'data.gz') => `http://127.0.0.1:${port}/${file}`;
}

const good: http.RequestListener = (_req, res) => {
  res.writeHead(200, { 'content-length': FILE.length });
  res.end(FILE);
};

/** Options for a fast test: no backoff, no progress, an environment of its own. */
const fast = { quiet: true, backoffMs: 1, env: {} };

function target(): string {
  return path.join(tempDir('latentkit-download-'), 'data.gz');
}

/** Only the target, no temporaries, in the target's folder. */
function onlyTarget(file: string): void {
  expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)]);
  expect(new Uint8Array(fs.readFileSync(file))).toEqual(FILE);
}

describe('download time-outs', () => {
  it('a mirror that stalls mid-body times out, is named, and the next mirror serves the file', async () => {
    const stalled = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': FILE.length });
      res.write(FILE.subarray(0, 100)); // then nothing
    });
    const ok = await serve(good);
    const file = target();
    const started = performance.now();
    const lonely = await downloadVerified([stalled()], MD5, file, { ...fast, timeout: 0.3, retries: 0 });
    expect(lonely.ok).toBe(false);
    const failures = (lonely as { failures: string[] }).failures;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(new RegExp(`^${stalled().replace(/[.]/g, '\\.')}: timed out: no data for 0\\.3 s \\(LATENTKIT_DOWNLOAD_TIMEOUT\\)$`));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(fs.existsSync(path.dirname(file)) ? fs.readdirSync(path.dirname(file)) : []).toEqual([]);
    expect(await downloadVerified([stalled(), ok()], MD5, file, { ...fast, timeout: 0.3, retries: 0 })).toEqual({ ok: true, url: ok() });
    onlyTarget(file);
  });

  it('a server that accepts the connection but never answers times out too', async () => {
    const silent = await serve(() => undefined);
    const result = await downloadVerified([silent()], MD5, target(), { ...fast, timeout: 0.2, retries: 1 });
    expect(result).toEqual({ ok: false, failures: [`${silent()}: timed out: no data for 0.2 s (LATENTKIT_DOWNLOAD_TIMEOUT) (2 attempts)`] });
  });

  it('the time-out and retries come from the environment, and bad values are refused naming the variable', async () => {
    const silent = await serve(() => undefined);
    const result = await downloadVerified([silent()], MD5, target(), { quiet: true, backoffMs: 1, env: { LATENTKIT_DOWNLOAD_TIMEOUT: '0.15', LATENTKIT_DOWNLOAD_RETRIES: '0' } });
    expect(result).toEqual({ ok: false, failures: [`${silent()}: timed out: no data for 0.15 s (LATENTKIT_DOWNLOAD_TIMEOUT)`] });
    for (const [name, value] of [
      ['LATENTKIT_DOWNLOAD_TIMEOUT', '0'],
      ['LATENTKIT_DOWNLOAD_TIMEOUT', 'soon'],
      ['LATENTKIT_DOWNLOAD_RETRIES', '-1'],
      ['LATENTKIT_DOWNLOAD_RETRIES', '1.5'],
    ]) {
      const err = await downloadVerified([silent()], MD5, target(), { quiet: true, env: { [name!]: value } }).catch((e: unknown) => e);
      expect(err, `${name}=${value}`).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(`${name} must be ${name!.endsWith('RETRIES') ? 'a whole number ≥ 0' : 'a number of seconds > 0'} (got '${value}')`);
    }
  });
});

describe('download retries', () => {
  it('retries a mirror that fails once (HTTP 503, then a reset connection) and gets the file', async () => {
    let requests = 0;
    const flaky = await serve((req, res) => {
      requests++;
      if (requests === 1) {
        res.writeHead(503, 'Service Unavailable');
        res.end();
      } else if (requests === 2) {
        req.socket.destroy();
      } else good(req, res);
    });
    const file = target();
    const lines: string[] = [];
    const stream = { write: (t: string) => lines.push(t), isTTY: false } as unknown as NodeJS.WriteStream;
    expect(await downloadVerified([flaky()], MD5, file, { backoffMs: 1, env: {}, retries: 2, stream })).toEqual({ ok: true, url: flaky() });
    expect(requests).toBe(3);
    expect(lines[0]).toBe(`${flaky()}: HTTP 503 Service Unavailable; retrying\n`);
    expect(lines[1]).toMatch(new RegExp(`^${flaky().replace(/[.]/g, '\\.')}: fetch failed.*; retrying\n$`));
    onlyTarget(file);
  });

  it('gives up on a mirror after its retries and says how many attempts it made; a 404 is not retried', async () => {
    let failing = 0;
    const down = await serve((_req, res) => {
      failing++;
      res.writeHead(500);
      res.end();
    });
    let missing = 0;
    const gone = await serve((_req, res) => {
      missing++;
      res.writeHead(404, 'Not Found');
      res.end();
    });
    const result = await downloadVerified([down(), gone()], MD5, target(), { ...fast, retries: 2 });
    expect(result).toEqual({ ok: false, failures: [`${down()}: HTTP 500 Internal Server Error (3 attempts)`, `${gone()}: HTTP 404 Not Found`] });
    expect([failing, missing]).toEqual([3, 1]);
  });

  it('waits longer before each retry (exponential backoff)', async () => {
    const times: number[] = [];
    const down = await serve((_req, res) => {
      times.push(performance.now());
      res.writeHead(503);
      res.end();
    });
    await downloadVerified([down()], MD5, target(), { quiet: true, env: {}, retries: 2, backoffMs: 100 });
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(95);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(195);
  });
});

/** A forward proxy: absolute-URI requests for http URLs and CONNECT tunnels; records what it was asked for. */
async function proxy(seen: string[]): Promise<string> {
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const url = new URL(req.url!);
    const upstream = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const upstream = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe('download proxies', () => {
  it('goes through HTTP_PROXY, and straight to hosts NO_PROXY names', async () => {
    const seen: string[] = [];
    const proxyUrl = await proxy(seen);
    const origin = await serve(good);
    // "localhost", so the proxy (at 127.0.0.1) and the exemption below are about different names.
    const url = origin().replace('127.0.0.1', 'localhost');
    const port = new URL(url).port;
    const file = target();
    expect(await downloadVerified([url], MD5, file, { quiet: true, env: { HTTP_PROXY: proxyUrl } })).toEqual({ ok: true, url });
    expect(seen).toHaveLength(1);
    expect([`CONNECT localhost:${port}`, `GET ${url}`]).toContain(seen[0]);
    onlyTarget(file);

    fs.rmSync(file);
    expect(await downloadVerified([url], MD5, file, { quiet: true, env: { HTTP_PROXY: proxyUrl, NO_PROXY: 'localhost' } })).toEqual({ ok: true, url });
    expect(seen).toHaveLength(1);
  });

  it('a proxy that is not there is a failure of the mirror, naming the cause', async () => {
    const closed = await serve(good);
    const deadProxy = closed().replace(/\/data\.gz$/, '');
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const origin = await serve(good);
    const result = await downloadVerified([origin()], MD5, target(), { ...fast, retries: 0, env: { HTTP_PROXY: deadProxy } });
    expect(result.ok).toBe(false);
    expect((result as { failures: string[] }).failures[0]).toMatch(/ECONNREFUSED/);
  });
});

describe('download progress', () => {
  /** A stream that records what is written, a terminal or not. */
  const recorder = (isTTY: boolean) => {
    const out = { text: '' };
    const stream = { isTTY, columns: 80, write: (t: string) => ((out.text += t), true), on: () => stream, removeListener: () => stream, cursorTo: () => true, clearLine: () => true, moveCursor: () => true } as unknown as NodeJS.WriteStream;
    return { out, stream };
  };

  it('plain lines in a log (no carriage returns), nothing when quiet', async () => {
    const ok = await serve(good);
    const log = recorder(false);
    await downloadVerified([ok()], MD5, target(), { env: {}, stream: log.stream });
    expect(log.out.text).not.toMatch(/\r|\x1b/);
    expect(log.out.text.trim().split('\n')).toEqual([`downloading ${ok()}: 0.0 MB (0%)`, `downloading ${ok()}: 0.0 MB (100%)`]);
    const quiet = recorder(false);
    await downloadVerified([ok()], MD5, target(), { env: {}, stream: quiet.stream, quiet: true });
    expect(quiet.out.text).toBe('');
  });
});
