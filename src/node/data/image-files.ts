/**
 * Image files as pixels: listing a folder, decoding PNG, JPEG and WebP with
 * sharp (resize the short side, crop the centre square, grey or RGB), and a
 * cache of the decoded pixels as uint8 so a second command does not decode
 * again. The cache is keyed by the files' paths, sizes and modification
 * times and by the target size and channels, so changing a file invalidates it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { FieldError, UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../files/atomic.js';
import { readFileChunked } from '../files/chunks.js';
import { defaultCacheRoot } from './sources.js';

/** Extensions read as images; a file with one whose content is another format is a bad image. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg', '.webp']);
/** Image formats latentkit does not read: listed so they are refused (or skipped), not silently ignored. */
const OTHER_IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.gif', '.bmp', '.tif', '.tiff', '.avif', '.heic', '.heif', '.svg', '.ico', '.jp2']);
const FORMATS: ReadonlySet<string> = new Set(['png', 'jpeg', 'webp']);

export const DEFAULT_IMAGE_SIZE = 64;

/** One image file: where it is and what the cache key needs of it. */
export interface ImageFile {
  /** Absolute path. */
  file: string;
  /** Path relative to the folder read, '/'-separated (labels, attribute keys, messages). */
  rel: string;
  bytes: number;
  mtimeMs: number;
}

export interface DecodeTarget {
  size: number;
  channels: 1 | 3;
}

/** Where the cache lives and whether to skip unreadable files. */
export interface DecodeOptions {
  cacheDir?: string;
  env?: Record<string, string | undefined>;
  skipBad?: boolean;
  /** Names the dataset in messages (`images:./photos`). */
  what: string;
  /** Bytes per read or write of the pixel cache (default IO_CHUNK_BYTES; tests make it small). */
  chunkBytes?: number;
}

/** Pixels of the readable files, in order, and the files that could not be read. */
export interface DecodedImages {
  target: DecodeTarget;
  /** [n, size, size, channels] uint8. */
  pixels: Uint8Array;
  /** Relative paths of the images in `pixels`. */
  kept: string[];
  bad: { rel: string; reason: string }[];
}

const isImageName = (name: string) => {
  const ext = path.extname(name).toLowerCase();
  return IMAGE_EXTENSIONS.has(ext) || OTHER_IMAGE_EXTENSIONS.has(ext);
};

/** Every image file under `root` (recursive), sorted by relative path; hidden files and folders are left out. */
export function listImageFiles(root: string, rel = ''): ImageFile[] {
  const dir = path.join(root, rel);
  const out: ImageFile[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listImageFiles(root, childRel));
    else if (isImageName(entry.name)) {
      const file = path.join(root, childRel);
      const stat = fs.statSync(file);
      out.push({ file, rel: childRel, bytes: stat.size, mtimeMs: stat.mtimeMs });
    }
  }
  return out;
}

/** An unreadable image: the reason in words (the file is named by whoever reports it). */
class BadImage extends Error {}

const firstLine = (message: string) => message.split('\n')[0]!.trim();

async function checkedMetadata(file: ImageFile): Promise<Metadata> {
  if (file.bytes === 0) throw new BadImage('it is empty (0 bytes)');
  let meta: Metadata;
  try {
    meta = await sharp(file.file).metadata();
  } catch (err) {
    throw new BadImage(`not a readable image (${firstLine((err as Error).message)})`);
  }
  if (!meta.format || !FORMATS.has(meta.format)) throw new BadImage(`${meta.format ?? 'an unknown'} format is not supported; use PNG, JPEG or WebP`);
  return meta;
}

/**
 * Decode one file to `target`: the short side resized to `size`, the centre
 * square kept, alpha composited over black, grey made RGB or colour made
 * grey (libvips' luminance) as `channels` asks.
 */
async function decodeFile(file: ImageFile, target: DecodeTarget): Promise<Buffer> {
  await checkedMetadata(file);
  try {
    let image = sharp(file.file).resize(target.size, target.size, { fit: 'cover', position: 'centre' }).flatten({ background: '#000000' });
    image = target.channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== target.channels || data.length !== target.size * target.size * target.channels) throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}`);
    return data;
  } catch (err) {
    throw new BadImage(`cannot be decoded (${firstLine((err as Error).message)}); it may be truncated`);
  }
}

function badImageError(what: string, file: ImageFile, reason: string): UsageError {
  return new UsageError(`${what}: ${file.file}: ${reason}; remove it or pass --skip-bad to skip unreadable images`);
}

/** Run `fn` over `items` with at most `width` at a time (sharp decodes on libuv's threads). */
async function mapLimited<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof BadImage) return { ok: false, reason: err.message };
    throw err;
  }
}

/** Refuse the first bad file, or (skipping) leave it out. */
function refuseBad<T>(files: readonly ImageFile[], outcomes: Outcome<T>[], options: DecodeOptions): void {
  if (options.skipBad) return;
  const i = outcomes.findIndex((o) => !o.ok);
  if (i >= 0) throw badImageError(options.what, files[i]!, (outcomes[i] as { reason: string }).reason);
}

// The cache: <root>/images/<key>.json (what was decoded) beside <key>.u8 (the pixels).

function cacheFolder(options: DecodeOptions): string {
  return path.join(options.cacheDir !== undefined ? path.resolve(options.cacheDir) : defaultCacheRoot(options.env), 'images');
}

function cacheKey(kind: string, files: readonly ImageFile[], settings: unknown): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ format: 1, kind, settings }));
  for (const f of files) hash.update(`\n${path.resolve(f.file)}\t${f.bytes}\t${f.mtimeMs}`);
  return hash.digest('hex').slice(0, 32);
}

function readCachedJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Write a cache file; a cache that cannot be written only costs time, so failures are ignored. */
function writeCache(file: string, data: string | Uint8Array, chunkBytes?: number): void {
  try {
    writeFileAtomic(file, data, chunkBytes);
  } catch {
    // Read-only or full cache: the next command decodes again.
  }
}

/**
 * The size and channels to decode to: the given ones, else the images'
 * shared short side (when every image has the same size; else 64) and RGB
 * when any image is in colour. Reads only the files' headers (and caches the answer).
 */
export async function resolveTarget(files: readonly ImageFile[], given: { size?: number; channels?: number }, options: DecodeOptions): Promise<DecodeTarget> {
  if (given.size !== undefined && given.channels !== undefined) return { size: given.size, channels: given.channels === 1 ? 1 : 3 };
  const cached = path.join(cacheFolder(options), `probe-${cacheKey('probe', files, { skipBad: options.skipBad ?? false })}.json`);
  let probe = readCachedJson<{ sizes: string[]; colour: boolean }>(cached);
  if (!probe) {
    const outcomes = await mapLimited(files, 8, (f) => attempt(() => checkedMetadata(f)));
    refuseBad(files, outcomes, options);
    const metas = outcomes.flatMap((o) => (o.ok ? [o.value] : []));
    const sizes = [...new Set(metas.map((m) => `${m.width}x${m.height}`))];
    probe = { sizes, colour: metas.some((m) => m.space !== 'b-w' && (m.channels ?? 1) >= 3) };
    writeCache(cached, JSON.stringify(probe));
  }
  const [w, h] = probe.sizes.length === 1 ? probe.sizes[0]!.split('x').map(Number) : [DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE];
  const channels = given.channels ?? (probe.colour ? 3 : 1);
  return { size: given.size ?? Math.min(w!, h!), channels: channels === 1 ? 1 : 3 };
}

interface CacheEntry {
  target: DecodeTarget;
  kept: string[];
  bad: { rel: string; reason: string }[];
}

/** The cached pixels, when the entry is whole: a pixel file cut short (a full disk, a copy) is decoded again. */
function readCacheEntry(base: string, files: readonly ImageFile[], target: DecodeTarget, chunkBytes?: number): DecodedImages | undefined {
  const entry = readCachedJson<CacheEntry>(`${base}.json`);
  if (!entry || entry.kept.length + entry.bad.length !== files.length) return undefined;
  const file = `${base}.u8`;
  const bytes = entry.kept.length * target.size * target.size * target.channels;
  try {
    // Checked before reading, so a wrong file costs no read of gigabytes.
    if (fs.statSync(file).size !== bytes) return undefined;
    const pixels = readFileChunked(file, chunkBytes);
    return pixels.length === bytes ? { ...entry, pixels } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decode `files` to `target`, or read them from the cache. A bad file is
 * refused (UsageError naming it) unless `skipBad`, when it is left out and
 * counted on stderr.
 */
export async function decodeImages(files: readonly ImageFile[], target: DecodeTarget, options: DecodeOptions): Promise<DecodedImages> {
  if (target.channels !== 1 && target.channels !== 3) throw new FieldError('channels', `must be 1 or 3, got ${String(target.channels)}`);
  const base = path.join(cacheFolder(options), cacheKey('pixels', files, { target, skipBad: options.skipBad ?? false }));
  const decoded = readCacheEntry(base, files, target, options.chunkBytes) ?? (await decodeAndCache(files, target, options, base));
  // Said even with --quiet: the data is not what the folder holds.
  if (decoded.bad.length > 0) {
    const shown = decoded.bad.slice(0, 3).map((b) => `${b.rel} (${b.reason})`);
    process.stderr.write(`${options.what}: skipped ${decoded.bad.length} unreadable image(s): ${shown.join('; ')}${decoded.bad.length > 3 ? '; ...' : ''}\n`);
  }
  return decoded;
}

async function decodeAndCache(files: readonly ImageFile[], target: DecodeTarget, options: DecodeOptions, base: string): Promise<DecodedImages> {
  const dim = target.size * target.size * target.channels;
  // Each picture goes straight to its place, so decoding holds the pixels once (about a byte per pixel).
  const all = new Uint8Array(files.length * dim);
  const outcomes = await mapLimited(files, 8, (f, i) => attempt(async () => all.set(await decodeFile(f, target), i * dim)));
  refuseBad(files, outcomes, options);
  // Close the gaps of bad files.
  const kept: string[] = [];
  outcomes.forEach((o, i) => {
    if (!o.ok) return;
    if (kept.length !== i) all.copyWithin(kept.length * dim, i * dim, (i + 1) * dim);
    kept.push(files[i]!.rel);
  });
  const pixels = all.subarray(0, kept.length * dim);
  const bad = outcomes.flatMap((o, i) => (o.ok ? [] : [{ rel: files[i]!.rel, reason: o.reason }]));
  const entry: CacheEntry = { target, kept, bad };
  // Pixels first: an entry is only read when its JSON exists and the pixel file has the right length.
  writeCache(`${base}.u8`, pixels, options.chunkBytes);
  writeCache(`${base}.json`, JSON.stringify(entry));
  return { ...entry, pixels };
}
