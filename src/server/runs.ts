/** The runs a service answers for: `[NAME=]RUN` specs loaded into model services. */
import * as path from 'node:path';
import { DETECTOR_FILE, readDetector } from '../core/apps/detect/detector.js';
import { indexPath, type SearchIndex } from '../core/apps/search/index-file.js';
import { readIndex } from '../core/jobs/search.js';
import { FieldError } from '../core/errors.js';
import { RUN_NAME } from '../core/requests/serve.js';
import { ModelService } from '../core/serve/service.js';
import { loadRun } from '../node/run/run-folder.js';

export interface RunSpec {
  name: string;
  dir: string;
}

/** `NAME=RUN` or `RUN` (named after its folder); names must be URL-safe and distinct. */
export function parseRunSpecs(specs: readonly string[]): RunSpec[] {
  const seen = new Set<string>();
  return specs.map((spec, i) => {
    const eq = spec.indexOf('=');
    const dir = eq >= 0 ? spec.slice(eq + 1) : spec;
    const name = eq >= 0 ? spec.slice(0, eq) : path.basename(path.resolve(dir));
    if (!RUN_NAME.test(name)) throw new FieldError('run', `item ${i + 1}: '${name}' is not a usable name (letters, digits, '.', '_', '-'); give one as NAME=RUN`);
    if (seen.has(name)) throw new FieldError('run', `item ${i + 1}: the name '${name}' is given twice; give distinct names as NAME=RUN`);
    if (dir === '') throw new FieldError('run', `item ${i + 1}: no run folder after '${name}='`);
    seen.add(name);
    return { name, dir };
  });
}

/** Load a run with its detector and search index when it has them. */
export async function loadService(spec: RunSpec): Promise<ModelService> {
  const { config, model, store } = await loadRun(spec.dir);
  const detector = (await store.read(DETECTOR_FILE)) ? await readDetector(store) : undefined;
  // No index is fine (/search then says how to build one); a damaged one stops the start.
  const indexed = (await store.read(indexPath(config.data.dataset, 'train'))) ?? (await store.read(indexPath(config.data.dataset, 'test')));
  const index: SearchIndex | undefined = indexed ? (await readIndex(store, config.data.dataset)).index : undefined;
  return new ModelService(spec.name, model, config, detector, index);
}
