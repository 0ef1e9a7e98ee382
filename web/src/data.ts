/**
 * MNIST and Fashion-MNIST in the page: the IDX files fetched from `dataUrl`
 * (`latentkit lab` serves them from the local data folder or cache; a static
 * host can point anywhere), read by the core's IDX reader. Sprites are built in.
 */
import { CLASS_NAMES, UsageError, idxDataset, idxFileNames, registerDatasetSource, takeFirst, type Dataset, type Split } from 'latentkit/browser';

const cache = new Map<string, Promise<Dataset>>();

async function fetchFile(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new UsageError(`could not fetch ${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

function load(dataUrl: string, name: 'mnist' | 'fashion-mnist', split: Split): Promise<Dataset> {
  const key = `${name}/${split}`;
  let pending = cache.get(key);
  if (!pending) {
    const files = idxFileNames(split);
    const url = (file: string) => `${dataUrl.replace(/\/$/, '')}/${name}/${file}.gz`;
    pending = Promise.all([fetchFile(url(files.images)), fetchFile(url(files.labels))]).then(([images, labels]) =>
      idxDataset({ images: { name: `${files.images}.gz`, bytes: images }, labels: { name: `${files.labels}.gz`, bytes: labels } }, split, { name, classNames: CLASS_NAMES[name] }),
    );
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
}

export function registerPageDatasets(dataUrl: string): void {
  for (const name of ['mnist', 'fashion-mnist'] as const) {
    registerDatasetSource({
      label: name,
      matches: (n) => n === name,
      async load(_name, options) {
        const ds = await load(dataUrl, name, options.split);
        return options.limit !== undefined && options.limit < ds.n ? takeFirst(ds, options.limit) : ds;
      },
    });
  }
}
