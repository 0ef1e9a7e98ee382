/** Shared test setup: backend, models, data. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, type BackendChoice } from '../src/backend/index.js';
import { loadBuiltinModels } from '../src/models/discover.js';

export const DATA_DIR = process.env.LATENTKIT_DATA_DIR;
export const hasMnist = DATA_DIR !== undefined && fs.existsSync(path.join(DATA_DIR, 'mnist'));

export async function setup(backend: BackendChoice = 'wasm'): Promise<void> {
  await initBackend(backend);
  await loadBuiltinModels();
}

export function tempDir(prefix = 'latentkit-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
