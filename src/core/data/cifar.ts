/**
 * CIFAR-10 in its binary version: each record is one label byte then 3072
 * bytes of a 32×32 colour image, plane by plane (the 1024 red values, then
 * green, then blue, each row-major).
 */
import { UsageError } from '../errors.js';
import type { Dataset, Split } from './types.js';
import { bytePixels } from './pixels.js';

export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const CIFAR_SIDE = 32;
const PLANE = CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_RECORD = 1 + 3 * PLANE;

/** The batch files of each split, in order. */
export const CIFAR10_FILES: Readonly<Record<Split, readonly string[]>> = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
};

/**
 * The records of `batches` (each named by its file, for messages) as a
 * dataset with pixels in [0, 1], height × width × RGB. Reads at most `limit` records.
 *
 * @throws UsageError for a file whose length is not a whole number of
 *   records, or a label outside 0..9
 */
export function readCifarBatches(name: string, split: Split, batches: readonly { file: string; bytes: Uint8Array }[], limit = Infinity): Dataset {
  for (const { file, bytes } of batches) {
    if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0) throw new UsageError(`${file} is not a CIFAR-10 batch: ${bytes.length} bytes is not a whole number of ${CIFAR_RECORD}-byte records`);
  }
  const total = batches.reduce((s, b) => s + b.bytes.length / CIFAR_RECORD, 0);
  const n = Math.min(total, limit);
  const images = new Uint8Array(n * 3 * PLANE);
  const labels = new Int32Array(n);
  let i = 0;
  for (const { file, bytes } of batches) {
    for (let r = 0; r < bytes.length / CIFAR_RECORD && i < n; r++, i++) {
      const record = bytes.subarray(r * CIFAR_RECORD, (r + 1) * CIFAR_RECORD);
      if (record[0]! > 9) throw new UsageError(`${file}: record ${r} has label ${record[0]}, not 0..9; not a CIFAR-10 batch`);
      labels[i] = record[0]!;
      // Planar RGB to interleaved pixels.
      for (let p = 0; p < PLANE; p++) for (let c = 0; c < 3; c++) images[(i * PLANE + p) * 3 + c] = record[1 + c * PLANE + p]!;
    }
  }
  return { name, split, n, shape: [CIFAR_SIDE, CIFAR_SIDE, 3], pixels: bytePixels(images), labels, numClasses: 10, classNames: CIFAR10_CLASS_NAMES };
}
