/**
 * Reading and writing bytes in pieces. Node refuses a single read or write
 * of 2 GiB or more (readFileSync: "File size is greater than 2 GiB";
 * writeSync: "length ... must be <= 2147483647"), though an array that size
 * is fine, so big files (decoded image caches: CelebA at 64×64×3 is 2.4 GB)
 * go through a loop of smaller reads and writes on views of one array.
 */
import * as fs from 'node:fs';

/** Bytes per read or write: far below Node's 2 GiB limit, large enough that the loop costs nothing. */
export const IO_CHUNK_BYTES = 64 * 1024 * 1024;

/** Write all of `data` at the descriptor's position, `chunkBytes` at a time. */
export function writeChunks(fd: number, data: Uint8Array, chunkBytes = IO_CHUNK_BYTES): void {
  let done = 0;
  while (done < data.length) {
    // writeSync may write less than asked (as write(2) may); the loop takes up the rest.
    done += fs.writeSync(fd, data.subarray(done, Math.min(done + chunkBytes, data.length)));
  }
}

/**
 * A whole file as one Uint8Array, read `chunkBytes` at a time into an array
 * of the file's size. Throws when the file ends early (it shrank while read).
 */
export function readFileChunked(file: string, chunkBytes = IO_CHUNK_BYTES): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const out = new Uint8Array(fs.fstatSync(fd).size);
    let done = 0;
    while (done < out.length) {
      const read = fs.readSync(fd, out.subarray(done, Math.min(done + chunkBytes, out.length)), 0, Math.min(chunkBytes, out.length - done), done);
      if (read === 0) throw new Error(`${file} ended after ${done} of ${out.length} bytes`);
      done += read;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
