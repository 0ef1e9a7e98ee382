import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IMAGE_TEST_EVERY, layoutImageFolder, pathHash } from './image-folder.js';

/** The hash as Node computes it (the split's definition before it moved to the core). */
const nodeHash = (rel: string) => createHash('md5').update(rel).digest().readUInt32BE(0);

const rows = (rels: string[]) => {
  const { images, classNames } = layoutImageFolder(rels);
  return images.map((im) => [im.rel, im.split, classNames ? classNames[im.label] : im.label]);
};

describe('layoutImageFolder', () => {
  it('hashes a path to the first four bytes of its MD5 (UTF-8), as node:crypto does', () => {
    for (const rel of ['a.png', 'cats/tabby 01.jpg', 'é/ünïcode-☃.webp', '']) expect(pathHash(rel)).toBe(nodeHash(rel));
    expect(pathHash('')).toBe(0xd41d8cd9); // md5('') = d41d8cd98f00b204e9800998ecf8427e
  });

  it('takes train/ and test/ as the splits, labels from the folder below them, and leaves other images out', () => {
    const rels = ['test/dog/3.png', 'train/cat/1.png', 'notes/x.png', 'top.png', 'train/dog/2.png', 'train/cat/0.png', 'test/cat/4.png'];
    const layout = layoutImageFolder(rels);
    expect(layout.splitFolders).toBe(true);
    expect(layout.classNames).toEqual(['cat', 'dog']);
    expect(rows(rels)).toEqual([
      ['test/cat/4.png', 'test', 'cat'],
      ['test/dog/3.png', 'test', 'dog'],
      ['train/cat/0.png', 'train', 'cat'],
      ['train/cat/1.png', 'train', 'cat'],
      ['train/dog/2.png', 'train', 'dog'],
    ]);
    // Each image points back at its place in the input.
    for (const im of layout.images) expect(rels[im.index]).toBe(im.rel);
  });

  it('gives one class (no names) when an image sits directly in train/ or test/', () => {
    const layout = layoutImageFolder(['train/a.png', 'train/b/c.png', 'test/d.png']);
    expect(layout.classNames).toBeUndefined();
    expect(layout.images.map((im) => [im.split, im.label])).toEqual([
      ['test', 0],
      ['train', 0],
      ['train', 0],
    ]);
  });

  it('without train/ and test/, holds out the images whose path hashes to 0 mod 10, labels from first-level folders', () => {
    const rels = Array.from({ length: 200 }, (_, i) => `${['b', 'a', 'c'][i % 3]}/img-${i}.png`);
    const layout = layoutImageFolder(rels);
    expect(layout.splitFolders).toBe(false);
    expect(layout.classNames).toEqual(['a', 'b', 'c']);
    const expectedTest = rels.filter((r) => nodeHash(r) % IMAGE_TEST_EVERY === 0);
    expect(expectedTest.length).toBeGreaterThan(5); // the rule is exercised, not vacuous
    expect(layout.images.filter((im) => im.split === 'test').map((im) => im.rel).sort()).toEqual(expectedTest.sort());
    expect(layout.images).toHaveLength(200);
    for (const im of layout.images) expect(layout.classNames![im.label]).toBe(rels[im.index]!.split('/')[0]);
  });

  it('gives the same split whatever order the paths come in (a browser lists a picked folder in its own order)', () => {
    const rels = Array.from({ length: 60 }, (_, i) => `k${i % 4}/deep/${i}.jpg`);
    const reversed = [...rels].reverse();
    const a = layoutImageFolder(rels).images.map((im) => [im.rel, im.split, im.label]);
    const b = layoutImageFolder(reversed).images.map((im) => [im.rel, im.split, im.label]);
    expect(b).toEqual(a);
    // The order is a depth-first walk with each folder sorted by name: k0/deep/0.jpg, k0/deep/12.jpg, ...
    expect(a.slice(0, 3).map((r) => r[0])).toEqual(['k0/deep/0.jpg', 'k0/deep/12.jpg', 'k0/deep/16.jpg']);
  });

  it('sorts a folder before a sibling whose name extends it with a character below "/" (as a folder walk does)', () => {
    // Plain string order would put 'a-b/...' first, since '-' < '/'.
    expect(layoutImageFolder(['a-b/y.png', 'a/x.png']).images.map((im) => im.rel)).toEqual(['a/x.png', 'a-b/y.png']);
  });

  it('gives one class when any image is outside a class folder, and holds out at least one of a small folder', () => {
    // No path of these two hashes to 0 mod 10, so the smaller hash is held out.
    const rels = ['one.png', 'sub/two.png'];
    expect(rels.map(nodeHash).some((h) => h % IMAGE_TEST_EVERY === 0)).toBe(false);
    const layout = layoutImageFolder(rels);
    expect(layout.classNames).toBeUndefined();
    const smaller = nodeHash(rels[0]!) < nodeHash(rels[1]!) ? rels[0] : rels[1];
    expect(layout.images.filter((im) => im.split === 'test').map((im) => im.rel)).toEqual([smaller]);
    expect(layout.images.every((im) => im.label === 0)).toBe(true);
  });

  it('needs images under both train/ and test/ for them to be the splits', () => {
    const layout = layoutImageFolder(['train/a/1.png', 'train/b/2.png', 'other/3.png']);
    expect(layout.splitFolders).toBe(false);
    expect(layout.classNames).toEqual(['other', 'train']);
    expect(layoutImageFolder([])).toEqual({ images: [], splitFolders: false });
  });
});
