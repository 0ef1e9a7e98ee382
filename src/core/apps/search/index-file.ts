/**
 * The search index file: a dataset's codes, ready to search. Little-endian.
 *
 *   offset  size  field
 *   0       4     magic 0x89 'L' 'K' 'S'
 *   4       2     format version (1)
 *   6       1     metric (0 euclidean, 1 cosine: codes stored unit length)
 *   7       1     split (0 train, 1 test)
 *   8       4     count n
 *   12      4     latent size d
 *   16      16    model fingerprint (../compress/model-id.ts)
 *   32      4     --limit the dataset was loaded with (0: none)
 *   36      2     byte length L of the dataset name
 *   38      L     dataset name, UTF-8
 *   …       4·n·d codes (float32), row-major
 *   …       4·n   labels (int32)
 *   …       4     byte length S of the file names (version 2; 0: none)
 *   …       S     each example's file, UTF-8, NUL-separated (image folders)
 *   end−4   4     CRC-32 of every byte before it
 *
 * Version 1 files (no file names) are still read.
 */
import type { Split } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { crc32 } from '../compress/crc32.js';
import { MODEL_ID_BYTES } from '../compress/model-id.js';
import { METRICS, type Metric } from './knn.js';

export const INDEX_MAGIC = Uint8Array.of(0x89, 0x4c, 0x4b, 0x53);
export const INDEX_VERSION = 2;
const SPLITS: readonly Split[] = ['train', 'test'];

export interface SearchIndex {
  metric: Metric;
  dataset: string;
  split: Split;
  /** The --limit the dataset was loaded with, to reload the same examples for pictures. */
  limit?: number;
  n: number;
  d: number;
  /** [n, d] row-major; unit rows for cosine. */
  codes: Float32Array;
  labels: Int32Array;
  modelId: Uint8Array;
  /** Each example's file (image folders): what hits are named by. */
  sources?: string[];
}

/** RUN/search/<dataset>-<split>.index, the dataset name made safe as a file name. */
export function indexPath(dataset: string, split: Split): string {
  const safe = dataset.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `search/${safe}-${split}.index`;
}

export function encodeIndex(index: SearchIndex): Uint8Array {
  const { n, d } = index;
  if (index.codes.length !== n * d || index.labels.length !== n) throw new RangeError('encodeIndex: codes or labels do not match n and d');
  if (index.sources && index.sources.length !== n) throw new RangeError('encodeIndex: sources do not match n');
  // NUL cannot occur in a file name, so it separates them.
  if (index.sources?.some((f) => f.includes('\0'))) throw new RangeError('encodeIndex: a file name holds NUL');
  const name = new TextEncoder().encode(index.dataset);
  const files = new TextEncoder().encode(index.sources?.join('\0') ?? '');
  const head = 38 + name.length;
  const bytes = new Uint8Array(head + 4 * n * d + 4 * n + 4 + files.length + 4);
  const view = new DataView(bytes.buffer);
  bytes.set(INDEX_MAGIC, 0);
  view.setUint16(4, INDEX_VERSION, true);
  view.setUint8(6, METRICS.indexOf(index.metric));
  view.setUint8(7, SPLITS.indexOf(index.split));
  view.setUint32(8, n, true);
  view.setUint32(12, d, true);
  bytes.set(index.modelId.subarray(0, MODEL_ID_BYTES), 16);
  view.setUint32(32, index.limit ?? 0, true);
  view.setUint16(36, name.length, true);
  bytes.set(name, 38);
  let pos = head;
  for (let i = 0; i < n * d; i++, pos += 4) view.setFloat32(pos, index.codes[i]!, true);
  for (let i = 0; i < n; i++, pos += 4) view.setInt32(pos, index.labels[i]!, true);
  // A dataset of one example with the empty name would be indistinguishable from none; relative paths are never empty.
  view.setUint32(pos, files.length, true);
  bytes.set(files, pos + 4);
  pos += 4 + files.length;
  view.setUint32(pos, crc32(bytes.subarray(0, pos)), true);
  return bytes;
}

/** @throws UsageError when `bytes` is not an index file or is damaged */
export function decodeIndex(bytes: Uint8Array, source = 'index'): SearchIndex {
  const corrupt = (why: string) => new UsageError(`${source} is corrupt (${why}); rebuild it with latentkit search index`);
  if (bytes.length < 8 || !INDEX_MAGIC.every((b, i) => bytes[i] === b)) throw new UsageError(`${source} is not a latentkit search index (magic bytes missing)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version > INDEX_VERSION) throw new UsageError(`${source} has index format version ${version}; this latentkit reads up to ${INDEX_VERSION}`);
  if (bytes.length < 42) throw corrupt('truncated header');
  const metric = METRICS[view.getUint8(6)];
  const split = SPLITS[view.getUint8(7)];
  const n = view.getUint32(8, true);
  const d = view.getUint32(12, true);
  const nameLength = view.getUint16(36, true);
  if (!metric || !split || d < 1) throw corrupt('impossible header');
  const head = 38 + nameLength;
  const body = head + 4 * n * d + 4 * n;
  const fileBytes = version >= 2 && bytes.length >= body + 4 ? view.getUint32(body, true) : 0;
  const expected = body + (version >= 2 ? 4 + fileBytes : 0) + 4;
  if (bytes.length !== expected) throw corrupt(`header describes ${expected} bytes, file has ${bytes.length}`);
  if (crc32(bytes.subarray(0, expected - 4)) !== view.getUint32(expected - 4, true)) throw corrupt('CRC-32 checksum mismatch');
  const codes = new Float32Array(n * d);
  const labels = new Int32Array(n);
  let pos = head;
  for (let i = 0; i < n * d; i++, pos += 4) codes[i] = view.getFloat32(pos, true);
  for (let i = 0; i < n; i++, pos += 4) labels[i] = view.getInt32(pos, true);
  const sources = fileBytes > 0 ? new TextDecoder().decode(bytes.subarray(pos + 4, pos + 4 + fileBytes)).split('\0') : undefined;
  if (sources && sources.length !== n) throw corrupt(`${sources.length} file names for ${n} examples`);
  const limit = view.getUint32(32, true);
  return {
    metric,
    dataset: new TextDecoder().decode(bytes.subarray(38, head)),
    split,
    limit: limit > 0 ? limit : undefined,
    n,
    d,
    codes,
    labels,
    modelId: bytes.slice(16, 32),
    ...(sources ? { sources } : {}),
  };
}
