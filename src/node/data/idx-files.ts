/** MNIST-style folders of IDX files on disk. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { idxDataset, idxFileNames, type IdxFile, type ReadIdxOptions } from '../../core/data/idx.js';
import type { Dataset, Split } from '../../core/data/types.js';
import { UsageError } from '../../core/errors.js';

/** The path of `<base>.gz` or `<base>` in `folder`, whichever exists (gzip first). */
export function findIdxFile(folder: string, base: string): string | undefined {
  for (const name of [`${base}.gz`, base]) {
    const p = path.join(folder, name);
    if (fs.existsSync(p) && fs.statSync(p).isFile()) return p;
  }
  return undefined;
}

function readIdxFile(folder: string, base: string): IdxFile {
  const file = findIdxFile(folder, base);
  if (file === undefined) throw new UsageError(`${folder}: missing ${base}.gz (or ${base})`);
  return { name: file, bytes: fs.readFileSync(file) };
}

/**
 * Read one split of a folder holding `train-images-idx3-ubyte.gz`,
 * `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz` and
 * `t10k-labels-idx1-ubyte.gz` (each also accepted without `.gz`).
 *
 * @throws UsageError when a file is missing, truncated, corrupt, of the wrong
 *   size, or when the label and image counts disagree
 */
export function readIdxDataset(folder: string, split: Split, options: ReadIdxOptions = {}): Dataset {
  const names = idxFileNames(split);
  return idxDataset({ images: readIdxFile(folder, names.images), labels: readIdxFile(folder, names.labels) }, split, { ...options, name: options.name ?? `idx:${folder}` });
}
