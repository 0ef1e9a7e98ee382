import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.js';
import { md5Hex } from './download.js';
import { encodeIdx } from '../../core/data/idx.js';
import { readIdxDataset } from './idx-files.js';
import { defaultCacheRoot, locateDataset, REMOTE_DATASETS, type RemoteDataset } from './sources.js';

const realDataDir = process.env.LATENTKIT_DATA_DIR;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latentkit-src-'));
  dirs.push(dir);
  return dir;
}

/** The four gzip IDX files of a tiny MNIST look-alike (3 train, 2 test examples). */
function tinyFiles(): Record<string, Uint8Array> {
  const images = (n: number): Uint8Array => gzipSync(encodeIdx('images', [n, 28, 28], new Uint8Array(n * 784).fill(255)));
  const labels = (values: number[]): Uint8Array => gzipSync(encodeIdx('labels', [values.length], Uint8Array.from(values)));
  return {
    'train-images-idx3-ubyte.gz': images(3),
    'train-labels-idx1-ubyte.gz': labels([5, 0, 4]),
    't10k-images-idx3-ubyte.gz': images(2),
    't10k-labels-idx1-ubyte.gz': labels([7, 2]),
  };
}

function writeFiles(dir: string, files: Record<string, Uint8Array>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

function remoteFor(files: Record<string, Uint8Array>, mirrors = ['https://mirror-a.test/mnist/', 'https://mirror-b.test/mnist/']): RemoteDataset {
  return { mirrors, md5: Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, md5Hex(bytes)])) };
}

/** A fetch that serves `routes` (URL → bytes), answers 404 for anything else, and records what it was asked. */
function fakeFetch(routes: Record<string, Uint8Array>, calls: string[] = []): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    const body = routes[url];
    return body ? new Response(new Uint8Array(body)) : new Response('not here', { status: 404, statusText: 'Not Found' });
  }) as typeof fetch;
}

const offline = (async () => {
  throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND mirror') });
}) as typeof fetch;

/** Run `fn` and return the message of the UsageError it must reject with. */
async function usageMessage(fn: () => Promise<unknown>): Promise<string> {
  const err = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return (err as Error).message;
}

describe('locateDataset: local folders', () => {
  it('uses --data-dir when it holds the files directly', async () => {
    const dir = writeFiles(tempDir(), tinyFiles());
    expect(await locateDataset('mnist', 'train', { dataDir: dir, env: {}, fetch: offline, quiet: true })).toBe(dir);
  });

  it('prefers the <name>/ subfolder of --data-dir', async () => {
    const dir = tempDir();
    writeFiles(dir, tinyFiles());
    const sub = writeFiles(path.join(dir, 'fashion-mnist'), tinyFiles());
    expect(await locateDataset('fashion-mnist', 'test', { dataDir: dir, env: {}, fetch: offline, quiet: true })).toBe(sub);
    expect(await locateDataset('mnist', 'test', { dataDir: dir, env: {}, fetch: offline, quiet: true })).toBe(dir);
  });

  it('falls back to $LATENTKIT_DATA_DIR/<name>, then to the cache', async () => {
    const envDir = tempDir();
    const cache = tempDir();
    const cached = writeFiles(path.join(cache, 'fashion-mnist'), tinyFiles());
    const fromEnv = writeFiles(path.join(envDir, 'mnist'), tinyFiles());
    const env = { LATENTKIT_DATA_DIR: envDir };
    expect(await locateDataset('mnist', 'train', { env, cacheDir: cache, fetch: offline, quiet: true })).toBe(fromEnv);
    expect(await locateDataset('fashion-mnist', 'train', { env, cacheDir: cache, fetch: offline, quiet: true })).toBe(cached);
  });

  it('puts --data-dir before $LATENTKIT_DATA_DIR', async () => {
    const dataDir = writeFiles(tempDir(), tinyFiles());
    const envDir = tempDir();
    writeFiles(path.join(envDir, 'mnist'), tinyFiles());
    expect(await locateDataset('mnist', 'train', { dataDir, env: { LATENTKIT_DATA_DIR: envDir }, fetch: offline, quiet: true })).toBe(dataDir);
  });

  it('only needs the requested split', async () => {
    const all = tinyFiles();
    const dir = writeFiles(tempDir(), { 't10k-images-idx3-ubyte.gz': all['t10k-images-idx3-ubyte.gz']!, 't10k-labels-idx1-ubyte.gz': all['t10k-labels-idx1-ubyte.gz']! });
    expect(await locateDataset('mnist', 'test', { dataDir: dir, env: {}, fetch: offline, quiet: true })).toBe(dir);
  });

  it('derives the cache root from XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheRoot({ XDG_CACHE_HOME: '/xdg' })).toBe(path.join('/xdg', 'latentkit', 'datasets'));
    expect(defaultCacheRoot({ HOME: '/home/u' })).toBe(path.join('/home/u', '.cache', 'latentkit', 'datasets'));
    // A relative XDG_CACHE_HOME is invalid per the XDG spec and ignored.
    expect(defaultCacheRoot({ XDG_CACHE_HOME: 'rel', HOME: '/home/u' })).toBe(path.join('/home/u', '.cache', 'latentkit', 'datasets'));
  });
});

describe('locateDataset: offline', () => {
  it('names every place it looked, the mirrors, and how to point at local files, in one line', async () => {
    const dataDir = path.join(tempDir(), 'nowhere');
    const cache = tempDir();
    const msg = await usageMessage(() => locateDataset('mnist', 'train', { dataDir, env: {}, cacheDir: cache, fetch: offline, quiet: true }));
    expect(msg).toMatch(/^cannot find the mnist dataset \(train split\): looked in /);
    expect(msg).toContain(`--data-dir ${path.join(dataDir, 'mnist')} (does not exist)`);
    expect(msg).toContain(`--data-dir ${dataDir} (does not exist)`);
    expect(msg).toContain('$LATENTKIT_DATA_DIR (not set)');
    expect(msg).toContain(`the cache ${path.join(cache, 'mnist')} (does not exist)`);
    for (const mirror of REMOTE_DATASETS.mnist.mirrors) expect(msg).toContain(`${mirror}train-images-idx3-ubyte.gz: fetch failed: getaddrinfo ENOTFOUND`);
    expect(msg).toMatch(/pass --data-dir <folder holding them> or set LATENTKIT_DATA_DIR to a folder with a mnist\/ subfolder/);
    expect(msg).not.toContain('\n');
    // Nothing half-made is left in the cache.
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  it('says which file a folder lacks, and names the env folder', async () => {
    const envDir = tempDir();
    const all = tinyFiles();
    writeFiles(path.join(envDir, 'fashion-mnist'), { 'train-images-idx3-ubyte.gz': all['train-images-idx3-ubyte.gz']! });
    const msg = await usageMessage(() => locateDataset('fashion-mnist', 'train', { env: { LATENTKIT_DATA_DIR: envDir }, cacheDir: tempDir(), fetch: offline, quiet: true }));
    expect(msg).toContain(`$LATENTKIT_DATA_DIR/fashion-mnist (${path.join(envDir, 'fashion-mnist')}) (no train-labels-idx1-ubyte.gz)`);
    expect(msg).toContain('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz');
  });
});

describe('locateDataset: download', () => {
  it('downloads the split into the cache, checks MD5, writes atomically, then reuses the cache', async () => {
    const files = tinyFiles();
    const remote = remoteFor(files);
    const cache = tempDir();
    const target = path.join(cache, 'mnist', 'train-images-idx3-ubyte.gz');
    const seenDuringTransfer: boolean[] = [];
    const calls: string[] = [];
    const fetchImpl = (async (input: string | URL | Request) => {
      const url = String(input);
      calls.push(url);
      const name = url.slice(remote.mirrors[0]!.length);
      const bytes = files[name]!;
      // A body that looks at the final path while it is still being read: atomic writes mean it is absent.
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          seenDuringTransfer.push(fs.existsSync(path.join(cache, 'mnist', name)));
          controller.enqueue(bytes);
          controller.close();
        },
      });
      return new Response(body, { headers: { 'content-length': String(bytes.length) } });
    }) as typeof fetch;

    const folder = await locateDataset('mnist', 'train', { env: {}, cacheDir: cache, fetch: fetchImpl, quiet: true, remote });
    expect(folder).toBe(path.join(cache, 'mnist'));
    expect(calls).toEqual([`${remote.mirrors[0]}train-images-idx3-ubyte.gz`, `${remote.mirrors[0]}train-labels-idx1-ubyte.gz`]);
    expect(seenDuringTransfer).toEqual([false, false]);
    expect(fs.readdirSync(folder).sort()).toEqual(['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
    expect(md5Hex(fs.readFileSync(target))).toBe(remote.md5['train-images-idx3-ubyte.gz']);
    expect(readIdxDataset(folder, 'train').n).toBe(3);

    // Second time: served from the cache, no network.
    expect(await locateDataset('mnist', 'train', { env: {}, cacheDir: cache, fetch: offline, quiet: true, remote })).toBe(folder);
  });

  it('rejects a checksum mismatch and keeps nothing', async () => {
    const files = tinyFiles();
    const remote = remoteFor(files, ['https://m.test/']);
    const corrupted = { ...files, 'train-images-idx3-ubyte.gz': gzipSync(encodeIdx('images', [3, 28, 28], new Uint8Array(3 * 784))) };
    const cache = tempDir();
    const routes = Object.fromEntries(Object.entries(corrupted).map(([n, b]) => [`https://m.test/${n}`, b]));
    const msg = await usageMessage(() => locateDataset('mnist', 'train', { env: {}, cacheDir: cache, fetch: fakeFetch(routes), quiet: true, remote }));
    expect(msg).toContain(`https://m.test/train-images-idx3-ubyte.gz: checksum mismatch: MD5 ${md5Hex(corrupted['train-images-idx3-ubyte.gz'])}, expected ${remote.md5['train-images-idx3-ubyte.gz']}`);
    const folder = path.join(cache, 'mnist');
    expect(fs.existsSync(folder) ? fs.readdirSync(folder) : []).toEqual([]);
  });

  it('checks downloads against the official checksums', async () => {
    const files = tinyFiles();
    const mirror = REMOTE_DATASETS['fashion-mnist'].mirrors[0]!;
    const routes = Object.fromEntries(Object.entries(files).map(([n, b]) => [`${mirror}${n}`, b]));
    const msg = await usageMessage(() => locateDataset('fashion-mnist', 'test', { env: {}, cacheDir: tempDir(), fetch: fakeFetch(routes), quiet: true }));
    expect(msg).toContain('checksum mismatch');
    expect(msg).toContain('expected bef4ecab320f06d8554ea6380940ec79');
  });

  it('moves on to the next mirror after an HTTP error or a bad checksum', async () => {
    const files = tinyFiles();
    const remote = remoteFor(files, ['https://a.test/', 'https://b.test/', 'https://c.test/']);
    const routes: Record<string, Uint8Array> = {
      'https://b.test/t10k-images-idx3-ubyte.gz': new Uint8Array([1, 2, 3]),
      'https://c.test/t10k-images-idx3-ubyte.gz': files['t10k-images-idx3-ubyte.gz']!,
      'https://a.test/t10k-labels-idx1-ubyte.gz': files['t10k-labels-idx1-ubyte.gz']!,
    };
    const calls: string[] = [];
    const folder = await locateDataset('mnist', 'test', { env: {}, cacheDir: tempDir(), fetch: fakeFetch(routes, calls), quiet: true, remote });
    expect(calls).toEqual(['https://a.test/t10k-images-idx3-ubyte.gz', 'https://b.test/t10k-images-idx3-ubyte.gz', 'https://c.test/t10k-images-idx3-ubyte.gz', 'https://a.test/t10k-labels-idx1-ubyte.gz']);
    expect(readIdxDataset(folder, 'test').n).toBe(2);
  });

  it('reports progress as plain lines when stderr is not a terminal', async () => {
    const files = tinyFiles();
    const remote = remoteFor(files, ['https://m.test/']);
    const routes = Object.fromEntries(Object.entries(files).map(([n, b]) => [`https://m.test/${n}`, b]));
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    await locateDataset('mnist', 'test', { env: {}, cacheDir: tempDir(), fetch: fakeFetch(routes), remote, stream });
    expect(lines[0]).toMatch(/^mnist \(test\) not found locally; downloading it into /);
    expect(lines.some((l) => l.startsWith('downloading https://m.test/t10k-images-idx3-ubyte.gz: '))).toBe(true);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
  });

  it.skipIf(!realDataDir)('serves real MNIST through a mocked mirror, verified against its own checksums', async () => {
    const local = path.resolve(realDataDir!, 'mnist');
    const files = Object.fromEntries(['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map((n) => [n, fs.readFileSync(path.join(local, n))]));
    const remote = remoteFor(files, ['https://m.test/']);
    const routes = Object.fromEntries(Object.entries(files).map(([n, b]) => [`https://m.test/${n}`, b]));
    const folder = await locateDataset('mnist', 'test', { env: {}, cacheDir: tempDir(), fetch: fakeFetch(routes), quiet: true, remote });
    const ds = readIdxDataset(folder, 'test');
    expect(ds.n).toBe(10000);
    // The local copy was re-gzipped, so the mirrors' official MD5 does not match it (and must not be applied to local files).
    expect(md5Hex(files['t10k-images-idx3-ubyte.gz']!)).not.toBe(REMOTE_DATASETS.mnist.md5['t10k-images-idx3-ubyte.gz']);
  });
});
