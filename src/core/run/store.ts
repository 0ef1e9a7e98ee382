/**
 * Where a run's files live. A run folder on disk (Node), files dropped into
 * a page or kept in IndexedDB (the lab), a map in memory (tests, the
 * service): the run's code reads and writes through this one interface.
 * Paths are relative and use '/', e.g. `model/encoder/model.json`.
 */
export interface RunStore {
  /** How messages name the run (its folder, or the name it was given). */
  readonly name: string;
  /** The bytes of a file, or undefined when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Write one file so readers see the old content or the new, never a part. */
  write(path: string, bytes: Uint8Array): Promise<void>;
  /** Append a line to a text file (metrics.jsonl). */
  append(path: string, line: string): Promise<void>;
  /** Replace the folder `path` with exactly `files` (relative to it), all at once. */
  replaceFolder(path: string, files: ReadonlyMap<string, Uint8Array>): Promise<void>;
  /** Remove a file or folder if present. */
  remove(path: string): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const textBytes = (text: string): Uint8Array => encoder.encode(text);
export const bytesText = (bytes: Uint8Array): string => decoder.decode(bytes);

/** A run kept in memory: `files` maps paths to bytes. */
export class MemoryRunStore implements RunStore {
  readonly files = new Map<string, Uint8Array>();

  constructor(readonly name = 'run', files?: Iterable<[string, Uint8Array]>) {
    for (const [p, b] of files ?? []) this.files.set(p, b);
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    return this.files.get(path);
  }

  async write(path: string, bytes: Uint8Array): Promise<void> {
    this.files.set(path, bytes.slice());
  }

  async append(path: string, line: string): Promise<void> {
    const before = this.files.get(path);
    const text = `${before ? bytesText(before) : ''}${line.endsWith('\n') ? line : `${line}\n`}`;
    this.files.set(path, textBytes(text));
  }

  async replaceFolder(path: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    await this.remove(path);
    for (const [p, b] of files) this.files.set(`${path}/${p}`, b.slice());
  }

  async remove(path: string): Promise<void> {
    for (const key of [...this.files.keys()]) if (key === path || key.startsWith(`${path}/`)) this.files.delete(key);
  }
}
