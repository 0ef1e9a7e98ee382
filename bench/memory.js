#!/usr/bin/env node
// Memory of image data: peak RSS of one training epoch on 50,000 generated shapes (64×64×3),
// and loading throughput of an image folder (first load decodes with sharp, then the uint8 cache).
//
//   node bench/memory.js train [DIST]            one epoch, vae (mlp 64-4), shapes n=50000; prints peak RSS
//   node bench/memory.js conv [DIST] [EPOCHS]    the faces conv VAE (--arch conv --conv-filters 32,64,64,64 --latent 200
//                                                --batch-norm --dropout 0.25), batch 32, on shapes n=50000 at 64×64×3 for
//                                                EPOCHS (default 2); peak RSS, and tf.memory().numTensors and RSS after every
//                                                epoch (progress every 160 steps on stderr)
//   node bench/memory.js folder [DIST] [N] [png|jpeg]  writes N (default 20000) 64×64 shapes as files, loads them twice
//
// DIST is a built dist folder (default ../dist), so an older build can be measured the same way.
// Prints one JSON line per measurement. Run each mode in its own process: peak RSS is per process.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [mode = 'train', distArg] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = pathToFileURL(path.resolve(distArg ?? path.join(here, '../dist'))).href;
const lib = await import(`${dist}/index.js`);
const mib = (bytes) => Math.round(bytes / 2 ** 20);
const peak = () => ({ peak_rss_mib: mib(process.resourceUsage().maxRSS * 1024), array_buffers_mib: mib(process.memoryUsage().arrayBuffers) });

/** The dataset 'shapes50k': 50,000 generated 64×64×3 shapes to train on, 1,000 to test. */
async function registerShapes50k() {
  const { generateShapes } = await import(`${dist}/core/data/shapes.js`);
  lib.registerDatasetSource({ label: 'shapes50k', matches: (name) => name === 'shapes50k', load: async (_name, o) => ({ ...generateShapes({ split: o.split, n: o.split === 'train' ? 50000 : 1000 }), name: 'shapes50k' }) });
}

/** trainRun(request) into a temporary folder; returns its result and the seconds it took. */
async function timedRun(request, options = {}) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-memory-'));
  const started = performance.now();
  try {
    const result = await lib.trainRun(request, { ...options, out, overwrite: true });
    return { result, seconds: Math.round((performance.now() - started) / 100) / 10 };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

if (mode === 'train') {
  await registerShapes50k();
  const { result, seconds } = await timedRun({ model: 'vae', dataset: 'shapes50k', hidden: [64], latent: 4, epochs: 1, batchSize: 128, backend: 'wasm', seed: 0 });
  console.log(JSON.stringify({ name: 'train one epoch, shapes 50000×64×64×3', seconds, test_loss: result.metrics[0].test_loss, ...peak() }));
} else if (mode === 'conv') {
  const epochs = Number(process.argv[4] ?? 2);
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`EPOCHS must be a positive integer, got ${process.argv[4]}`);
  await registerShapes50k();
  const tf = await import('@tensorflow/tfjs-core');
  const rssMib = () => mib(process.memoryUsage().rss);
  const epochsSeen = [];
  const request = { model: 'vae', arch: 'conv', convFilters: [32, 64, 64, 64], latent: 200, batchNorm: true, dropout: 0.25, dataset: 'shapes50k', epochs, batchSize: 32, backend: 'wasm', seed: 0 };
  const { result, seconds } = await timedRun(request, {
    onStep: (p) => {
      if (p.step % 160 === 0) console.error(JSON.stringify({ epoch: p.epoch, step: p.step, num_tensors: tf.memory().numTensors, rss_mib: rssMib(), peak_rss_mib: peak().peak_rss_mib }));
    },
    onEpoch: (m) => epochsSeen.push({ epoch: m.epoch, num_tensors: tf.memory().numTensors, rss_mib: rssMib(), peak_rss_mib: peak().peak_rss_mib }),
  });
  const tensors = epochsSeen.map((e) => e.num_tensors);
  console.log(JSON.stringify({ name: `train conv vae 64×64×3 (32,64,64,64, latent 200, batch norm, dropout 0.25) batch 32, ${epochs} epochs on shapes 50000`, seconds, test_loss: result.metrics.map((m) => m.test_loss), after_each_epoch: epochsSeen, tensors_flat: tensors.every((t) => t === tensors[0]), ...peak() }));
} else if (mode === 'folder') {
  const count = Number(process.argv[4] ?? 20000);
  const format = process.argv[5] ?? 'png';
  const sharp = (await import('sharp')).default;
  const { generateShapes } = await import(`${dist}/core/data/shapes.js`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-folder-'));
  const folder = path.join(root, 'images');
  fs.mkdirSync(folder);
  const chunk = 1000;
  for (let start = 0; start < count; start += chunk) {
    // A seed per chunk: distinct pictures without regenerating a growing prefix.
    const ds = generateShapes({ split: 'train', n: Math.min(chunk, count - start), seed: start / chunk });
    const dim = 64 * 64 * 3;
    // An older build holds float images; either way the files get the same bytes.
    const bytes = ds.images ? Uint8Array.from(ds.images, (v) => Math.round(v * 255)) : ds.pixels.data;
    for (let i = 0; i < ds.n; i++) {
      const raw = sharp(Buffer.from(bytes.subarray(i * dim, (i + 1) * dim)), { raw: { width: 64, height: 64, channels: 3 } });
      await (format === 'png' ? raw.png() : raw.jpeg()).toFile(path.join(folder, `${String(start + i).padStart(6, '0')}.${format === 'png' ? 'png' : 'jpg'}`));
    }
  }
  const cacheDir = path.join(root, 'cache');
  for (const pass of ['first (decode)', 'second (cache)']) {
    const started = performance.now();
    const { trainSet, testSet } = await lib.loadSplits(`images:${folder}`, { cacheDir });
    const seconds = (performance.now() - started) / 1000;
    const n = trainSet.n + testSet.n;
    console.log(JSON.stringify({ name: `load images: folder, ${pass}`, format, images: n, seconds: Math.round(seconds * 100) / 100, images_per_second: Math.round(n / seconds), ...peak() }));
  }
  fs.rmSync(root, { recursive: true, force: true });
}
