/** Shared test setup: backend, models, data. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, type BackendChoice } from '../src/node/backend/index.js';
import '../src/node/data/datasets.js';
import type { Picture } from '../src/core/viz/grid.js';
import { expect } from 'vitest';
import { encodeIdx } from '../src/core/data/idx.js';
import { UsageError } from '../src/core/errors.js';

export const DATA_DIR = process.env.LATENTKIT_DATA_DIR;
export const hasMnist = DATA_DIR !== undefined && fs.existsSync(path.join(DATA_DIR, 'mnist'));

export async function setup(backend: BackendChoice = 'wasm'): Promise<void> {
  await initBackend(backend);
}

export function tempDir(prefix = 'latentkit-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The built command-line entry (`npm test` builds first). */
export const BIN = path.resolve(__dirname, '../bin/latentkit.js');

/** Run `latentkit ARGS` in `cwd` with this process's environment; exit code and output. */
export function cli(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: process.env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A picture as pngjs would read it back: width, height and RGBA bytes. */
export function readPicture(picture: Picture): { width: number; height: number; data: Uint8ClampedArray } {
  return { width: picture.width, height: picture.height, data: picture.rgba };
}

/** An IDX image file of n h×w images with pixel values (i·7) mod 256. */
export function idxImageFile(n: number, h = 28, w = 28): Uint8Array {
  return encodeIdx('images', [n, h, w], Uint8Array.from({ length: n * h * w }, (_, i) => (i * 7) % 256));
}

/** An IDX label file holding `values`. */
export function idxLabelFile(values: number[]): Uint8Array {
  return encodeIdx('labels', [values.length], Uint8Array.from(values));
}

/** Run `fn`, expect a UsageError, and return its message. */
export function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}
