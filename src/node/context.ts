/**
 * The jobs' context in Node: runs are folders on disk, files are files,
 * datasets come from folders, the cache or a download (registered on import).
 */
import * as fs from 'node:fs';
import type { JobContext, JobProgress } from '../core/jobs/context.js';
import { UsageError } from '../core/errors.js';
import './backend/index.js';
import './data/datasets.js';
import { decodeUserImage } from './files/user-image.js';
import { runFolder } from './run/run-folder.js';

export interface NodeContextOptions {
  /** No progress output from downloads. */
  quiet?: boolean;
  signal?: AbortSignal;
  progress?: (p: JobProgress) => void;
}

/** Bytes of an input file; UsageError naming it when it is missing or a folder. */
export function readInputFile(name: string): Uint8Array {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(name);
  } catch {
    throw new UsageError(`input file ${name} does not exist`);
  }
  if (!stat.isFile()) throw new UsageError(`${name} is a folder, not a file`);
  return fs.readFileSync(name);
}

export function nodeContext(options: NodeContextOptions = {}): JobContext {
  return {
    openStore: async (run) => runFolder(run),
    readFile: async (name) => readInputFile(name),
    readImage: async (name, shape) => decodeUserImage(readInputFile(name), name, shape),
    load: { quiet: options.quiet },
    progress: options.progress,
    signal: options.signal,
  };
}
