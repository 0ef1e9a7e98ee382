import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { writePng } from '../../../test/image-files.js';
import { decodeImages, listImageFiles, type DecodeOptions } from './image-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir('latentkit-image-cache-');
  dirs.push(d);
  return d;
}

/** 12 random 8×8 RGB pictures (2304 bytes decoded: not a multiple of the 5-byte chunk). */
function pictures(): Uint8Array[] {
  let s = 3;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  return Array.from({ length: 12 }, () => Uint8Array.from({ length: 8 * 8 * 3 }, next));
}

describe('the decoded-image cache', () => {
  it('is written and read in small chunks, and a truncated pixel file is decoded again and rewritten', async () => {
    const root = dir();
    const sources = pictures();
    sources.forEach((p, i) => writePng(path.join(root, `p${String(i).padStart(2, '0')}.png`), p, 8, 8, 3));
    // Whole seconds, which utimes restores exactly.
    const when = new Date(1_700_000_000_000);
    for (const f of fs.readdirSync(root)) fs.utimesSync(path.join(root, f), when, when);
    const files = listImageFiles(root);
    const target = { size: 8, channels: 3 } as const;
    const options: DecodeOptions = { what: 'images:test', cacheDir: dir(), chunkBytes: 5 };
    const decode = () => decodeImages(files, target, options);
    const expected = Buffer.concat(sources);

    const first = await decode();
    expect(Buffer.compare(Buffer.from(first.pixels), expected)).toBe(0); // PNG is lossless
    const cacheFolder = path.join(options.cacheDir!, 'images');
    const pixelFile = path.join(cacheFolder, fs.readdirSync(cacheFolder).find((f) => f.endsWith('.u8'))!);
    expect(Buffer.compare(fs.readFileSync(pixelFile), expected)).toBe(0);

    // Garbage of the same size and time in place of an image: only a cache hit still gives its pixels.
    const victim = path.join(root, 'p03.png');
    const original = fs.readFileSync(victim);
    const spoil = () => {
      fs.writeFileSync(victim, Buffer.alloc(original.length, 7));
      fs.utimesSync(victim, when, when);
    };
    const restore = () => {
      fs.writeFileSync(victim, original);
      fs.utimesSync(victim, when, when);
    };
    spoil();
    expect(Buffer.compare(Buffer.from((await decode()).pixels), expected)).toBe(0);

    // A pixel file cut short is not used: the garbage is decoded, and refused.
    fs.truncateSync(pixelFile, expected.length - 1);
    await expect(decode()).rejects.toThrow(`${victim}: not a readable image`);
    // With the image back, it is decoded again and the cache rewritten whole...
    restore();
    expect(Buffer.compare(Buffer.from((await decode()).pixels), expected)).toBe(0);
    expect(Buffer.compare(fs.readFileSync(pixelFile), expected)).toBe(0);
    // ...and read from again.
    spoil();
    expect(Buffer.compare(Buffer.from((await decode()).pixels), expected)).toBe(0);
    expect(fs.readdirSync(cacheFolder).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
