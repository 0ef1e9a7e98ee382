/**
 * Fuzzing of the image paths that go through sharp: a user's picture (a
 * search query, a mask, a service body) and a folder dataset with one
 * damaged file. Arbitrary and mutated PNG/JPEG/WebP bytes only ever give the
 * project's own usage error, naming the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/core/data/load.js';
import { UsageError } from '../src/core/errors.js';
import '../src/node/data/datasets.js';
import { decodeUserImage } from '../src/node/files/user-image.js';
import { tempDir } from './helpers.js';

/** Resolves to a result or a UsageError naming `name`; anything else fails the property. */
async function onlyUsageErrors(run: () => Promise<unknown>, name: string): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    expect(err.message).toContain(name);
  }
}

/** A valid file with a few bytes changed, cut short, or extended. */
const mutated = (valid: Uint8Array) =>
  fc.oneof(
    fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
      const copy = valid.slice();
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    }),
    fc.nat(valid.length).map((n) => valid.slice(0, n)),
    fc.uint8Array({ maxLength: 64 }).map((tail) => Uint8Array.from([...valid, ...tail])),
  );

const RUNS = { numRuns: 60 };
let valid: Record<'png' | 'jpeg' | 'webp', Uint8Array>;

beforeAll(async () => {
  const pixels = Buffer.from(Array.from({ length: 12 * 10 * 3 }, (_, i) => (i * 37) % 256));
  const image = () => sharp(pixels, { raw: { width: 12, height: 10, channels: 3 } });
  valid = {
    png: new Uint8Array(await image().png().toBuffer()),
    jpeg: new Uint8Array(await image().jpeg().toBuffer()),
    webp: new Uint8Array(await image().webp().toBuffer()),
  };
});

describe('pictures decoded by sharp', () => {
  it.each(['png', 'jpeg', 'webp'] as const)('a query: arbitrary and mutated %s bytes', async (format) => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 256 }), mutated(valid[format])), (bytes) =>
        onlyUsageErrors(() => decodeUserImage(bytes, `q.${format}`, [28, 28, 3]), `q.${format}`),
      ),
      RUNS,
    );
  });

  it('an image folder with one damaged file: refused by name, or loaded', async () => {
    const dir = tempDir('fuzz-images-');
    fs.writeFileSync(path.join(dir, 'good.png'), valid.png);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(mutated(valid.jpeg), async (bytes) => {
        const file = path.join(dir, `bad-${n++}.jpg`);
        fs.writeFileSync(file, bytes);
        try {
          await onlyUsageErrors(() => loadDataset(`images:${dir}`, { split: 'train', images: { imageSize: 8 }, cacheDir: path.join(dir, '.cache') }), path.basename(file));
        } finally {
          fs.rmSync(file);
        }
      }),
      { numRuns: 25 },
    );
  });
});
