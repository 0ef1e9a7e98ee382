/** How outputs name the examples of a dataset. */
import type { Dataset } from './types.js';

/**
 * Each example's id: its file relative to the dataset's folder (image
 * folders), its 1-based line in the file (tables), else its index.
 */
export function exampleIds(ds: Pick<Dataset, 'n' | 'sources' | 'table'>): (string | number)[] {
  if (ds.sources) return ds.sources.slice(0, ds.n);
  const lines = ds.table?.lines;
  return Array.from({ length: ds.n }, (_, i) => (lines ? lines[i]! : i));
}

