/**
 * The rule that splits and labels a folder of images, shared by the CLI's
 * `images:<folder>` and the lab's picked folders so both read a folder alike.
 * It sees only the images' paths relative to the folder ('/'-separated):
 *
 * - With images under both `train/` and `test/`, those are the splits (other
 *   images are left out) and a class is the folder below `train/` or `test/`.
 * - Else about every tenth image, by a hash of its relative path (the same on
 *   every machine and run), is a test image, and a class is a first-level folder.
 *
 * Classes follow torchvision's ImageFolder: sorted folder names, and one class
 * (no names) when any image is not in a class folder.
 */
import { md5 } from '@noble/hashes/legacy.js';
import type { Split } from './types.js';

/** About one image in this many is a test image (when the folder has no train/ and test/). */
export const IMAGE_TEST_EVERY = 10;

/** One image of the folder: where it came from in the input, its split and its class. */
export interface FolderImage {
  /** Its position in the paths given. */
  index: number;
  rel: string;
  split: Split;
  /** Index into `classNames`; 0 when the folder has no classes. */
  label: number;
}

export interface FolderLayout {
  /** The images used, in the folder's order (each folder's entries sorted by name, depth first). */
  images: FolderImage[];
  /** Sorted class folder names; absent when any image is outside a class folder. */
  classNames?: string[];
  /** Whether the splits came from train/ and test/ subfolders. */
  splitFolders: boolean;
}

/** A number in [0, 2³²) from the relative path: the first four bytes of its MD5, big-endian. */
export function pathHash(rel: string): number {
  const digest = md5(new TextEncoder().encode(rel));
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}

/** Order of a depth-first walk that sorts each folder's entries by name. */
function compareRel(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
}

interface Placed {
  index: number;
  rel: string;
  split: Split;
  folder?: string;
}

/** The folder that names an image's class: the first one below `depth` segments, if any. */
function classFolder(parts: readonly string[], depth: number): string | undefined {
  return parts.length > depth + 1 ? parts[depth] : undefined;
}

function bySplitFolders(rels: readonly string[], order: readonly number[]): Placed[] {
  const out: Placed[] = [];
  for (const index of order) {
    const parts = rels[index]!.split('/');
    if (parts.length < 2 || (parts[0] !== 'train' && parts[0] !== 'test')) continue;
    out.push({ index, rel: rels[index]!, split: parts[0], folder: classFolder(parts, 1) });
  }
  return out;
}

function byHash(rels: readonly string[], order: readonly number[]): Placed[] {
  const hashes = order.map((i) => pathHash(rels[i]!));
  const test = hashes.map((h) => h % IMAGE_TEST_EVERY === 0);
  // A small folder may hash no image into the test split; the smallest hash then goes there.
  if (order.length >= 2 && !test.includes(true)) test[hashes.indexOf(Math.min(...hashes))] = true;
  return order.map((index, k) => ({ index, rel: rels[index]!, split: test[k] ? 'test' : 'train', folder: classFolder(rels[index]!.split('/'), 0) }));
}

/** Split and label the images at `rels` (paths relative to the folder, '/'-separated). */
export function layoutImageFolder(rels: readonly string[]): FolderLayout {
  const order = rels.map((_, i) => i).sort((a, b) => compareRel(rels[a]!, rels[b]!));
  const top = new Set(rels.filter((r) => r.includes('/')).map((r) => r.slice(0, r.indexOf('/'))));
  const splitFolders = top.has('train') && top.has('test');
  const placed = splitFolders ? bySplitFolders(rels, order) : byHash(rels, order);
  const classNames = placed.length === 0 || placed.some((p) => p.folder === undefined) ? undefined : [...new Set(placed.map((p) => p.folder!))].sort();
  const labelOf = new Map(classNames?.map((name, k) => [name, k]));
  const images = placed.map(({ index, rel, split, folder }) => ({ index, rel, split, label: labelOf.get(folder!) ?? 0 }));
  return { images, ...(classNames ? { classNames } : {}), splitFolders };
}
