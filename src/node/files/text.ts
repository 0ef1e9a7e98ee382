/** Files on disk as text sources for the core's readers (CSV tables). */
import * as fs from 'node:fs';
import type { TextSource } from '../../core/data/csv/stream.js';
import { UsageError } from '../../core/errors.js';

/** `file` read 64 KiB at a time; refuses a missing path or a folder at once. */
export function fileTextSource(file: string, what = 'CSV file'): TextSource {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new UsageError(`${what} ${file} does not exist`);
  }
  if (!stat.isFile()) throw new UsageError(`${file} is not a file`);
  return {
    name: file,
    async *chunks() {
      const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
      try {
        for await (const chunk of stream) yield chunk as string;
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
      } finally {
        stream.destroy();
      }
    },
  };
}
