/**
 * Where CIFAR-10's binary batches come from, in order (as MNIST's files):
 *  1. `dataDir` (the folder itself, its `cifar10/` subfolder, or a
 *     `cifar-10-batches-bin/` inside either);
 *  2. `$LATENTKIT_DATA_DIR/cifar10/`;
 *  3. the cache, `<cache root>/cifar10/`;
 *  4. a download of cifar-10-binary.tar.gz into the cache, MD5-checked, unpacked there.
 * A folder holding cifar-10-binary.tar.gz rather than the batches is unpacked into the cache.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CIFAR10_FILES } from '../../core/data/cifar.js';
import type { Split } from '../../core/data/types.js';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../files/atomic.js';
import { downloadVerified } from './download.js';
import { DATA_DIR_ENV, defaultCacheRoot, type LocateOptions, type RemoteDataset } from './sources.js';

export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';
/** The archive's one folder. */
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';
/** The binary version on Alex Krizhevsky's CIFAR page, and its MD5. */
export const CIFAR10_REMOTE: RemoteDataset = {
  mirrors: ['https://www.cs.toronto.edu/~kriz/'],
  md5: { [CIFAR10_ARCHIVE]: 'c32a1d4ab5d03f1284b67883e8d87530' },
};

const hasSplit = (folder: string, split: Split) => CIFAR10_FILES[split].every((f) => fs.existsSync(path.join(folder, f)));

/** The folders to look in, each with itself and its cifar-10-batches-bin/ subfolder. */
function candidates(options: LocateOptions, env: Record<string, string | undefined>, cache: string): string[] {
  const roots: string[] = [];
  if (options.dataDir !== undefined) roots.push(path.join(path.resolve(options.dataDir), 'cifar10'), path.resolve(options.dataDir));
  if (env[DATA_DIR_ENV]) roots.push(path.join(path.resolve(env[DATA_DIR_ENV]!), 'cifar10'));
  roots.push(cache);
  return roots.flatMap((r) => [r, path.join(r, CIFAR10_FOLDER)]);
}

/** One tar entry: its path and bytes. */
interface TarEntry {
  name: string;
  data: Uint8Array;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0) < 0 ? bytes.length : bytes.indexOf(0)));

/** The regular files of a ustar archive (512-byte headers, octal sizes, a name prefix field). */
export function readTar(tar: Uint8Array, name: string): TarEntry[] {
  const entries: TarEntry[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(text(header.subarray(124, 136)).trim() || '0', 8);
    if (!Number.isFinite(size)) throw new UsageError(`${name} is not a readable tar archive (bad size at byte ${offset})`);
    const type = String.fromCharCode(header[156]!);
    const prefix = text(header.subarray(345, 500));
    const entryName = (prefix ? `${prefix}/` : '') + text(header.subarray(0, 100));
    const start = offset + 512;
    if (start + size > tar.length) throw new UsageError(`${name} is truncated (${entryName} is cut short)`);
    if (type === '0' || type === '\0') entries.push({ name: entryName, data: tar.subarray(start, start + size) });
    offset = start + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** Unpack the batch files of an archive into `folder`. */
function unpack(archive: string, folder: string): void {
  let tar: Uint8Array;
  try {
    tar = gunzipSync(fs.readFileSync(archive));
  } catch (err) {
    throw new UsageError(`${archive} is not a readable .tar.gz (${(err as Error).message})`);
  }
  const wanted = new Set([...CIFAR10_FILES.train, ...CIFAR10_FILES.test, 'batches.meta.txt']);
  for (const entry of readTar(tar, archive)) {
    const base = path.posix.basename(entry.name);
    if (wanted.has(base)) writeFileAtomic(path.join(folder, base), entry.data);
  }
  if (!hasSplit(folder, 'train') || !hasSplit(folder, 'test')) throw new UsageError(`${archive} does not hold CIFAR-10's binary batches (${[...CIFAR10_FILES.train, ...CIFAR10_FILES.test].join(', ')})`);
}

/**
 * The folder holding the batch files of `split` (see the module comment for the order).
 *
 * @throws UsageError naming every place looked in and why the download failed
 */
export async function locateCifar10(split: Split, options: LocateOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const cache = path.join(options.cacheDir !== undefined ? path.resolve(options.cacheDir) : defaultCacheRoot(env), 'cifar10');
  const looked = candidates(options, env, cache);
  const found = looked.find((f) => hasSplit(f, split));
  if (found) return found;
  const unpacked = path.join(cache, CIFAR10_FOLDER);
  const localArchive = looked.map((f) => path.join(f, CIFAR10_ARCHIVE)).find((a) => fs.existsSync(a));
  if (localArchive) {
    unpack(localArchive, unpacked);
    return unpacked;
  }
  const remote = options.remote ?? CIFAR10_REMOTE;
  const archive = path.join(cache, CIFAR10_ARCHIVE);
  if (!options.quiet) (options.stream ?? process.stderr).write(`cifar10 (${split}) not found locally; downloading it into ${cache}\n`);
  const result = await downloadVerified(
    remote.mirrors.map((m) => `${m}${CIFAR10_ARCHIVE}`),
    remote.md5[CIFAR10_ARCHIVE]!,
    archive,
    options,
  );
  if (!result.ok) {
    throw new UsageError(
      `cannot find the cifar10 dataset (${split} split): looked in ${looked.join(', ')}; downloading failed (${result.failures.join('; ')}). ` +
        `Pass --data-dir <folder holding ${CIFAR10_FILES.train.join(', ')}, ${CIFAR10_FILES.test.join(', ')} or ${CIFAR10_ARCHIVE}> or set ${DATA_DIR_ENV} to a folder with a cifar10/ subfolder`,
    );
  }
  unpack(archive, unpacked);
  fs.rmSync(archive, { force: true });
  return unpacked;
}
