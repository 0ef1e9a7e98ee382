/** Pictures that stack versions of the same images (noisy, cleaned, clean, ...) in rows. */
import { tileImages, type Picture } from '../../viz/grid.js';

/**
 * One picture where each version of the first `count` images gets its own row,
 * `cols` images per row: with versions [noisy, cleaned, clean] and 16 images
 * in 8 columns the rows are noisy 1-8, cleaned 1-8, clean 1-8, noisy 9-16, ...
 * Every version holds images of `shape`, one after another.
 */
export function stackedVersions(versions: readonly Float32Array[], count: number, shape: readonly [number, number, number], cols = 8): Picture {
  const dim = shape[0] * shape[1] * shape[2];
  const perRow = Math.min(cols, count);
  const blocks = Math.ceil(count / perRow);
  // Missing tiles (a last block that is not full) stay mid-grey like the padding.
  const tiles = new Float32Array(blocks * versions.length * perRow * dim).fill(0.5);
  for (let i = 0; i < count; i++) {
    const block = Math.floor(i / perRow);
    const col = i % perRow;
    versions.forEach((images, v) => {
      const tile = (block * versions.length + v) * perRow + col;
      tiles.set(images.subarray(i * dim, (i + 1) * dim), tile * dim);
    });
  }
  return tileImages(tiles, blocks * versions.length * perRow, shape, { cols: perRow });
}
