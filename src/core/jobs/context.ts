/**
 * What a job needs from the platform it runs on: a way to open the run a
 * request names, to load datasets, and to read the files a request names
 * (a query image, a mask, a .lkz file). Node reads folders and files on
 * disk; the lab reads what the page holds; tests use memory.
 */
import { ensureBackend } from '../backend/init.js';
import type { LoadContext } from '../data/spec.js';
import { UsageError } from '../errors.js';
import { decodeImage } from '../io/image.js';
import type { Autoencoder } from '../models/types.js';
import type { RunConfig } from '../run/config.js';
import { loadStoredRun } from '../run/run.js';
import type { RunStore } from '../run/store.js';

/** A run opened for a job: its files, its config, its model (the job disposes of the model). */
export interface OpenedRun {
  store: RunStore;
  config: RunConfig;
  model: Autoencoder;
}

/** Progress of a long job (IWAE, scoring, training). */
export interface JobProgress {
  what: string;
  done: number;
  total: number;
}

export interface JobContext {
  /** The files of the run a request names (a folder on disk, a run kept in the page). */
  openStore(run: string): Promise<RunStore>;
  /** Bytes of a file a request names; UsageError when missing. */
  readFile(name: string): Promise<Uint8Array>;
  /**
   * A user's picture (a query, a mask) as pixels of `shape`, from a file of
   * any size in the formats the platform decodes; without it, a PNG of
   * exactly that size (see `readUserImage`).
   */
  readImage?(name: string, shape: readonly [number, number, number]): Promise<Float32Array>;
  /** How datasets load (quiet downloads, an environment). */
  load?: LoadContext;
  progress?(p: JobProgress): void;
  signal?: AbortSignal;
}

/** A context over runs already in stores (by name) and files in memory. */
export function memoryContext(runs: Record<string, RunStore>, files: Record<string, Uint8Array> = {}): JobContext {
  return {
    async openStore(run) {
      const store = runs[run];
      if (!store) throw new UsageError(`no run named ${run}`);
      return store;
    },
    async readFile(name) {
      const bytes = files[name];
      if (!bytes) throw new UsageError(`no file named ${name}`);
      return bytes;
    },
  };
}

/** A user's picture as pixels of `shape`: the platform's reader, else a PNG of exactly that size. */
export async function readUserImage(ctx: JobContext, name: string, shape: readonly [number, number, number]): Promise<Float32Array> {
  if (ctx.readImage) return ctx.readImage(name, shape);
  return decodeImage(await ctx.readFile(name), name, shape);
}

/** The run a request names, its model loaded (starting a backend if none runs). */
export async function openRun(ctx: JobContext, run: string): Promise<OpenedRun> {
  const store = await ctx.openStore(run);
  await ensureBackend();
  return { store, ...(await loadStoredRun(store)) };
}

/** Run `body` on the run a request names, disposing of its model afterwards. */
export async function withRun<T>(ctx: JobContext, run: string, body: (opened: OpenedRun) => Promise<T> | T): Promise<T> {
  const opened = await openRun(ctx, run);
  try {
    return await body(opened);
  } finally {
    opened.model.dispose();
  }
}
