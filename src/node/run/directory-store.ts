/** A run folder on disk as a RunStore: atomic writes, folders replaced at once. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunStore } from '../../core/run/store.js';
import { UsageError } from '../../core/errors.js';
import { appendLine, fileError, replaceDirectoryAtomic, resolveDirectory, writeFileAtomic } from '../files/atomic.js';

export class DirectoryRunStore implements RunStore {
  constructor(readonly dir: string) {}

  get name(): string {
    return this.dir;
  }

  /** The file's place on disk; a top-level folder an interrupted replacement left as `<folder>.old-*` is found too. */
  private locate(relative: string): string {
    const [top, ...rest] = relative.split('/');
    if (rest.length === 0) return path.join(this.dir, top!);
    const folder = resolveDirectory(path.join(this.dir, top!)) ?? path.join(this.dir, top!);
    return path.join(folder, ...rest);
  }

  async read(relative: string): Promise<Uint8Array | undefined> {
    const file = this.locate(relative);
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile()) throw new UsageError(`${file} is not a file`);
      return fs.readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  async write(relative: string, bytes: Uint8Array): Promise<void> {
    writeFileAtomic(path.join(this.dir, relative), bytes);
  }

  async append(relative: string, line: string): Promise<void> {
    appendLine(path.join(this.dir, relative), line);
  }

  async replaceFolder(relative: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    await replaceDirectoryAtomic(path.join(this.dir, relative), (tmp) => {
      for (const [name, bytes] of files) {
        const file = path.join(tmp, name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, bytes);
      }
    });
  }

  async remove(relative: string): Promise<void> {
    const target = path.join(this.dir, relative);
    try {
      fs.rmSync(target, { recursive: true, force: true });
    } catch (err) {
      throw fileError(err, target);
    }
  }
}
