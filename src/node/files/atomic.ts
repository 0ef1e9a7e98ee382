/**
 * Writing files so that a crash, a full disk or Ctrl-C never leaves a
 * half-written file: write a temporary name, flush, rename. Failures of the
 * file system come back as one line naming the file and the cause.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { IO_CHUNK_BYTES, writeChunks } from './chunks.js';

let counter = 0;

function tempName(target: string): string {
  counter += 1;
  return `${target}.tmp-${process.pid}-${counter}`;
}

/** Temporaries being written, removed when Ctrl-C ends a process that does not handle it itself. */
const inFlight = new Set<string>();
let guarding = false;

function removeTemporariesAndExit(): void {
  for (const tmp of inFlight) fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
}

function unguard(): void {
  if (!guarding || inFlight.size > 0) return;
  process.off('SIGINT', removeTemporariesAndExit);
  guarding = false;
}

/**
 * Track `tmp` until the returned function is called. A process with no
 * Ctrl-C handler of its own would die with the temporary left behind; for
 * that while, Ctrl-C removes it and exits 130 instead.
 */
function track(tmp: string): () => void {
  inFlight.add(tmp);
  if (!guarding && process.listenerCount('SIGINT') === 0) {
    guarding = true;
    process.on('SIGINT', removeTemporariesAndExit);
  }
  return () => {
    inFlight.delete(tmp);
    // A signal that came during a synchronous write is handled in the next poll phase: keep the handler until one has passed.
    if (inFlight.size === 0) setImmediate(() => setImmediate(unguard));
  };
}

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'something else is in the way',
  ENOENT: 'no such file or folder',
  EMFILE: 'too many open files',
};

/** The machine failed us (disk full, no permission): not the user's input, so exit 1, but one clear line. */
export class FileSystemError extends Error {
  override readonly name = 'FileSystemError';
  constructor(
    readonly file: string,
    readonly code: string,
    cause: string,
  ) {
    super(`cannot write ${file}: ${cause}`);
  }
}

/** `err` as a FileSystemError about `file` when it is one of Node's file errors; anything else as it is. */
export function fileError(err: unknown, file: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (err instanceof UsageError || err instanceof FileSystemError || typeof code !== 'string') return err;
  // The code too: it is what people search for, and what scripts match.
  return new FileSystemError(file, code, CAUSES[code] ? `${CAUSES[code]} (${code})` : (err as Error).message);
}

/**
 * Write a file so that readers see either the old content or the new one,
 * never a half-written file. Nothing is left behind when it fails. Bytes go
 * `chunkBytes` at a time, so arrays of 2 GiB and more can be written.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array, chunkBytes = IO_CHUNK_BYTES): void {
  const tmp = tempName(target);
  const untrack = track(tmp);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const fd = fs.openSync(tmp, 'w');
    try {
      if (typeof data === 'string') fs.writeFileSync(fd, data);
      else writeChunks(fd, data, chunkBytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw fileError(err, target);
  } finally {
    untrack();
  }
}

/**
 * Replace a whole directory at once: `fill` writes into a fresh temporary
 * directory, which then takes the target's place. If the process dies between
 * the two renames, the previous content survives as `<target>.old-*`, which
 * {@link resolveDirectory} finds.
 */
export async function replaceDirectoryAtomic(target: string, fill: (dir: string) => Promise<void> | void): Promise<void> {
  const tmp = tempName(target);
  const untrack = track(tmp);
  try {
    await fillAndSwap(tmp, target, fill);
  } finally {
    untrack();
  }
}

async function fillAndSwap(tmp: string, target: string, fill: (dir: string) => Promise<void> | void): Promise<void> {
  try {
    fs.mkdirSync(tmp, { recursive: true });
    await fill(tmp);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw fileError(err, target);
  }
  const old = `${target}.old-${process.pid}-${++counter}`;
  try {
    const hadOld = fs.existsSync(target);
    if (hadOld) fs.renameSync(target, old);
    fs.renameSync(tmp, target);
    if (hadOld) fs.rmSync(old, { recursive: true, force: true });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw fileError(err, target);
  }
}

/** The directory itself, or the copy an interrupted {@link replaceDirectoryAtomic} left behind. */
export function resolveDirectory(target: string): string | undefined {
  if (fs.existsSync(target)) return target;
  const parent = path.dirname(target);
  if (!fs.existsSync(parent)) return undefined;
  const base = path.basename(target);
  const leftovers = fs
    .readdirSync(parent)
    .filter((name) => name.startsWith(`${base}.old-`))
    .map((name) => path.join(parent, name));
  return leftovers[0];
}

/** Whether process `pid` is alive (EPERM: alive, someone else's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const LEFTOVER = /^(.+)\.(tmp|old)-(\d+)-\d+$/;

/**
 * Tidy what a killed process left in `dir` (and the folders in it, one level
 * down): its unfinished temporaries are removed, and a folder it had moved
 * aside (`<folder>.old-*`) goes back in place when the new one never arrived,
 * or is removed when it did. Leftovers of processes still running are kept.
 */
export function sweepLeftovers(dir: string, depth = 1): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    const m = LEFTOVER.exec(name);
    if (m && Number(m[3]) !== process.pid && !alive(Number(m[3]))) {
      const target = path.join(dir, m[1]!);
      try {
        if (m[2] === 'old' && !fs.existsSync(target)) fs.renameSync(full, target);
        else fs.rmSync(full, { recursive: true, force: true });
      } catch {
        // Best effort: a folder we cannot tidy is one we cannot write either, and that write reports it.
      }
    } else if (!m && depth > 0 && fs.statSync(full).isDirectory()) {
      sweepLeftovers(full, depth - 1);
    }
  }
}

/** Append one line (JSON Lines); a crash can at worst leave a partial last line, which readers skip. */
export function appendLine(target: string, line: string): void {
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const fd = fs.openSync(target, 'a');
    try {
      fs.writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw fileError(err, target);
  }
}

/** A file written piece by piece that appears under its name only when committed. */
export interface AtomicWriter {
  write(text: string | Uint8Array): void;
  /** Flush and move into place. */
  commit(): void;
  /** Remove what was written. */
  abort(): void;
}

export function atomicWriter(target: string): AtomicWriter {
  const tmp = tempName(target);
  let fd: number;
  try {
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    fd = fs.openSync(tmp, 'w');
  } catch (err) {
    throw fileError(err, target);
  }
  const untrack = track(tmp);
  let open = true;
  const close = () => {
    if (open) {
      fs.closeSync(fd);
      untrack();
    }
    open = false;
  };
  const abort = () => {
    try {
      close();
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  };
  return {
    write(data) {
      try {
        if (typeof data === 'string') fs.writeSync(fd, data);
        else fs.writeSync(fd, data);
      } catch (err) {
        abort();
        throw fileError(err, target);
      }
    },
    commit() {
      try {
        fs.fsyncSync(fd);
        close();
        fs.renameSync(tmp, target);
      } catch (err) {
        abort();
        throw fileError(err, target);
      }
    },
    abort,
  };
}
