/**
 * Where a named dataset's IDX files come from, in order:
 *  1. an explicit `dataDir` (the folder itself, or its `<name>/` subfolder);
 *  2. `$LATENTKIT_DATA_DIR/<name>/`;
 *  3. the user cache, `$XDG_CACHE_HOME/latentkit/datasets/<name>/`
 *     (default `~/.cache/latentkit/datasets/<name>/`);
 *  4. a download from the public mirrors into that cache, MD5-checked.
 *
 * Local files are not compared with the mirrors' checksums, because a local
 * copy may have been re-gzipped; their IDX headers are validated on reading.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { downloadVerified, type DownloadOptions } from './download.js';
import { idxFileNames } from '../../core/data/idx.js';
import { findIdxFile } from './idx-files.js';
import type { Split } from '../../core/data/types.js';

/** Datasets that can be downloaded. */
export type RemoteDatasetName = 'mnist' | 'fashion-mnist';

/** Public mirrors (tried in order, each a URL prefix) and MD5 of each `.gz` file. */
export interface RemoteDataset {
  mirrors: string[];
  md5: Record<string, string>;
}

/** Mirrors and checksums as published by torchvision (`torchvision/datasets/mnist.py`). */
export const REMOTE_DATASETS: Record<RemoteDatasetName, RemoteDataset> = {
  mnist: {
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/'],
    md5: {
      'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
      'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
      't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
      't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
    },
  },
  'fashion-mnist': {
    // Zalando Research's S3 bucket; the project's GitHub repository holds the same files.
    mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/', 'https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/'],
    md5: {
      'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
      'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
      't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
      't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
    },
  },
};

/** Environment variable naming a folder with `mnist/` and `fashion-mnist/` subfolders. */
export const DATA_DIR_ENV = 'LATENTKIT_DATA_DIR';

/** Options of {@link locateDataset}. */
export interface LocateOptions extends Pick<DownloadOptions, 'fetch' | 'quiet' | 'stream' | 'timeout' | 'retries' | 'backoffMs'> {
  /** Folder holding the IDX files, or holding a `<name>/` subfolder with them (`--data-dir`). */
  dataDir?: string;
  /** Replaces the cache root `$XDG_CACHE_HOME/latentkit/datasets` (the dataset goes in `<cacheDir>/<name>`). */
  cacheDir?: string;
  /** Environment to read `LATENTKIT_DATA_DIR`, `XDG_CACHE_HOME`, `HOME` from; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Replaces the mirrors and checksums of {@link REMOTE_DATASETS} (tests, private mirrors). */
  remote?: RemoteDataset;
}

/** The cache root: `$XDG_CACHE_HOME/latentkit/datasets`, else `~/.cache/latentkit/datasets`. */
export function defaultCacheRoot(env: Record<string, string | undefined> = process.env): string {
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'latentkit', 'datasets');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, 'latentkit', 'datasets');
  return path.join(env.HOME || os.homedir(), '.cache', 'latentkit', 'datasets');
}

/** Why `folder` cannot serve the split ("does not exist", "no <file>.gz"), or undefined when it holds both files. */
function whyNot(folder: string, split: Split): string | undefined {
  if (!fs.existsSync(folder)) return 'does not exist';
  const names = idxFileNames(split);
  for (const base of [names.images, names.labels]) {
    if (findIdxFile(folder, base) === undefined) return `no ${base}.gz`;
  }
  return undefined;
}

/** A local folder to check, with how to describe it in the "not found" message. */
interface Candidate {
  folder?: string;
  label: string;
}

function localCandidates(name: RemoteDatasetName, options: LocateOptions, env: Record<string, string | undefined>, cacheFolder: string): Candidate[] {
  const out: Candidate[] = [];
  if (options.dataDir !== undefined) {
    const dir = path.resolve(options.dataDir);
    // The named subfolder first: a data dir may hold MNIST directly and Fashion-MNIST in a subfolder.
    out.push({ folder: path.join(dir, name), label: `--data-dir ${path.join(dir, name)}` }, { folder: dir, label: `--data-dir ${dir}` });
  }
  const envDir = env[DATA_DIR_ENV];
  if (envDir) {
    const folder = path.join(path.resolve(envDir), name);
    out.push({ folder, label: `$${DATA_DIR_ENV}/${name} (${folder})` });
  } else {
    out.push({ label: `$${DATA_DIR_ENV} (not set)` });
  }
  out.push({ folder: cacheFolder, label: `the cache ${cacheFolder}` });
  return out;
}

function notFoundMessage(name: RemoteDatasetName, split: Split, looked: string[], failures: string[]): string {
  return (
    `cannot find the ${name} dataset (${split} split): looked in ${looked.join(', ')}; ` +
    `downloading failed (${failures.join('; ')}). ` +
    `To use local copies of the IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), ` +
    `pass --data-dir <folder holding them> or set ${DATA_DIR_ENV} to a folder with a ${name}/ subfolder holding them`
  );
}

/** Download the split's missing files into `folder`; returns failure reasons, empty on success. */
async function downloadSplit(name: RemoteDatasetName, split: Split, folder: string, options: LocateOptions): Promise<string[]> {
  const remote = options.remote ?? REMOTE_DATASETS[name];
  const names = idxFileNames(split);
  for (const base of [names.images, names.labels]) {
    if (findIdxFile(folder, base) !== undefined) continue;
    const file = `${base}.gz`;
    const md5 = remote.md5[file];
    if (md5 === undefined) return [`no checksum known for ${file}`];
    const urls = remote.mirrors.map((m) => `${m}${file}`);
    const target = path.join(folder, file);
    let result: Awaited<ReturnType<typeof downloadVerified>>;
    try {
      result = await downloadVerified(urls, md5, target, options);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new UsageError(`cannot write the downloaded ${file} to ${target}: ${reason}; set XDG_CACHE_HOME to a writable folder or use --data-dir`);
    }
    if (!result.ok) return result.failures;
  }
  return [];
}

/**
 * Find (or download) the folder holding the IDX files of one split of
 * `mnist` or `fashion-mnist`. See the module comment for the search order.
 *
 * @returns the folder; its files still need validation (see `readIdxDataset`)
 * @throws UsageError naming every place looked in, why the download failed,
 *   and how to point at local files, when nothing works
 */
export async function locateDataset(name: RemoteDatasetName, split: Split, options: LocateOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const cacheFolder = path.join(options.cacheDir !== undefined ? path.resolve(options.cacheDir) : defaultCacheRoot(env), name);
  const looked: string[] = [];
  for (const c of localCandidates(name, options, env, cacheFolder)) {
    if (c.folder === undefined) {
      looked.push(c.label);
      continue;
    }
    const reason = whyNot(c.folder, split);
    if (reason === undefined) return c.folder;
    looked.push(`${c.label} (${reason})`);
  }
  if (!options.quiet) (options.stream ?? process.stderr).write(`${name} (${split}) not found locally; downloading it into ${cacheFolder}\n`);
  const failures = await downloadSplit(name, split, cacheFolder, options);
  if (failures.length > 0) throw new UsageError(notFoundMessage(name, split, looked, failures));
  return cacheFolder;
}
