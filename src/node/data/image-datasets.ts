/**
 * Datasets of image files:
 *
 * - `images:<folder>`: every PNG, JPEG and WebP under the folder, split and
 *   labelled by the rule the lab shares (core/data/image-folder.ts): class
 *   subfolders as torchvision's ImageFolder has them; `train/` and `test/`
 *   subfolders as the splits, else a held-out tenth chosen by a hash of each
 *   image's path, so the split is the same on every run.
 * - `celeba:<folder>`: CelebA as distributed: img_align_celeba/,
 *   list_attr_celeba.txt (its 40 attributes become factors) and
 *   list_eval_partition.txt (0 and 1, train and valid, are the train split; 2 is test).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { layoutImageFolder } from '../../core/data/image-folder.js';
import { joinAttributes, parseAttributeTable, type AttributeTable } from '../../core/data/attributes.js';
import type { ImageReadOptions } from '../../core/data/image-options.js';
import type { DatasetSource, LoadOptions } from '../../core/data/load.js';
import type { Dataset, Split } from '../../core/data/types.js';
import { FieldError, UsageError } from '../../core/errors.js';
import { decodeImages, DEFAULT_IMAGE_SIZE, listImageFiles, resolveTarget, type DecodedImages, type DecodeOptions, type ImageFile } from './image-files.js';
import { bytePixels } from '../../core/data/pixels.js';

export const IMAGES_PREFIX = 'images:';
export const CELEBA_PREFIX = 'celeba:';

function folderOf(name: string, prefix: string, example: string): string {
  const folder = name.slice(prefix.length);
  if (folder === '') throw new FieldError('dataset', `${prefix} needs a folder, e.g. ${prefix}${example}`);
  if (!fs.existsSync(folder)) throw new FieldError('dataset', `${name}: the folder ${folder} does not exist`);
  if (!fs.statSync(folder).isDirectory()) throw new FieldError('dataset', `${name}: ${folder} is a file, not a folder`);
  return folder;
}

function decodeOptions(name: string, options: LoadOptions): DecodeOptions {
  return { what: name, cacheDir: options.cacheDir, env: options.env, skipBad: options.images?.skipBad };
}

function readAttributeTable(file: string): AttributeTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new FieldError('attributes', `${file} cannot be read (no such file?)`);
  }
  return parseAttributeTable(text, file);
}

/** The decoded pixels as a dataset (kept as bytes: value / 255). */
function datasetOf(name: string, split: Split, decoded: DecodedImages, labels: Int32Array, numClasses: number, classNames?: string[]): Dataset {
  const { size, channels } = decoded.target;
  return { name, split, n: decoded.kept.length, shape: [size, size, channels], pixels: bytePixels(decoded.pixels), labels, numClasses, ...(classNames ? { classNames } : {}), sources: [...decoded.kept] };
}

function withFactors(ds: Dataset, table: AttributeTable | undefined, kept: readonly string[], file: string): Dataset {
  return table ? { ...ds, factors: joinAttributes(table, kept, file) } : ds;
}

const firstN = <T>(items: readonly T[], limit: number | undefined) => (limit === undefined ? items : items.slice(0, limit));

async function loadImageFolder(name: string, options: LoadOptions): Promise<Dataset> {
  const root = folderOf(name, IMAGES_PREFIX, './photos');
  const images: ImageReadOptions = options.images ?? {};
  const table = images.attributes !== undefined ? readAttributeTable(images.attributes) : undefined;
  const files = listImageFiles(root);
  const { images: laid, classNames } = layoutImageFolder(files.map((f) => f.rel));
  if (laid.length === 0) throw new FieldError('dataset', `${name}: no PNG, JPEG or WebP images under ${root}`);
  const decode = decodeOptions(name, options);
  const target = await resolveTarget(
    laid.map((l) => files[l.index]!),
    { size: images.imageSize, channels: images.channels },
    decode,
  );
  const chosen = firstN(
    laid.filter((l) => l.split === options.split),
    options.limit,
  );
  const decoded = await decodeImages(
    chosen.map((l) => files[l.index]!),
    target,
    decode,
  );
  const labelOf = new Map(chosen.map((l) => [l.rel, l.label]));
  const labels = Int32Array.from(decoded.kept, (rel) => labelOf.get(rel)!);
  const ds = datasetOf(name, options.split, decoded, labels, classNames?.length ?? 1, classNames);
  return withFactors(ds, table, decoded.kept, images.attributes ?? '');
}

export const imageFolderSource: DatasetSource = {
  label: `${IMAGES_PREFIX}<folder>`,
  matches: (name) => name.startsWith(IMAGES_PREFIX),
  load: loadImageFolder,
};

// CelebA

const CELEBA_FILES = { images: 'img_align_celeba', attributes: 'list_attr_celeba.txt', partition: 'list_eval_partition.txt' } as const;

function celebaFile(root: string, name: string, what: string): string {
  const file = path.join(root, name);
  if (!fs.existsSync(file)) throw new FieldError('dataset', `${what}: ${root} has no ${name} (CelebA as distributed: ${Object.values(CELEBA_FILES).join(', ')})`);
  return file;
}

/** The images folder: img_align_celeba/, or img_align_celeba/img_align_celeba/ as some archives unpack. */
function celebaImages(root: string, what: string): string {
  const folder = celebaFile(root, CELEBA_FILES.images, what);
  const nested = path.join(folder, CELEBA_FILES.images);
  return fs.existsSync(nested) && fs.statSync(nested).isDirectory() ? nested : folder;
}

/** File names of one split, in the partition file's order (0 train, 1 valid, 2 test). */
function celebaSplit(file: string, split: Split): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const [image, part] = line.trim().split(/[\s,]+/);
    // Header lines (image_id,partition) have no 0/1/2.
    if (image === undefined || (part !== '0' && part !== '1' && part !== '2')) continue;
    if ((part === '2') === (split === 'test')) out.push(image);
  }
  return out;
}

function statImage(folder: string, rel: string, what: string): ImageFile {
  const file = path.join(folder, rel);
  try {
    const stat = fs.statSync(file);
    return { file, rel, bytes: stat.size, mtimeMs: stat.mtimeMs };
  } catch {
    throw new UsageError(`${what}: ${file} is listed in ${CELEBA_FILES.partition} but does not exist`);
  }
}

async function loadCeleba(name: string, options: LoadOptions): Promise<Dataset> {
  const root = folderOf(name, CELEBA_PREFIX, './celeba');
  const images: ImageReadOptions = options.images ?? {};
  if (images.attributes !== undefined) throw new FieldError('attributes', `does not apply to ${name}: its attributes come from ${CELEBA_FILES.attributes}`);
  const folder = celebaImages(root, name);
  const attributeFile = celebaFile(root, CELEBA_FILES.attributes, name);
  const names = firstN(celebaSplit(celebaFile(root, CELEBA_FILES.partition, name), options.split), options.limit);
  const files = names.map((rel) => statImage(folder, rel, name));
  const target = { size: images.imageSize ?? DEFAULT_IMAGE_SIZE, channels: images.channels === 1 ? 1 : 3 } as const;
  const decoded = await decodeImages(files, target, decodeOptions(name, options));
  const ds = datasetOf(name, options.split, decoded, new Int32Array(decoded.kept.length), 1);
  return withFactors(ds, readAttributeTable(attributeFile), decoded.kept, attributeFile);
}

export const celebaSource: DatasetSource = {
  label: `${CELEBA_PREFIX}<folder>`,
  matches: (name) => name.startsWith(CELEBA_PREFIX),
  load: loadCeleba,
};
