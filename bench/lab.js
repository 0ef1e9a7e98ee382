#!/usr/bin/env node
// The lab in a real browser: training images/s in the page (wasm, in a Web Worker) with the matrix
// products on every core (nested module workers on shared memory; the page `latentkit lab` serves
// is cross-origin isolated) and on one thread (?threads=1), against the same model and data in
// Node (the library's trainJob on wasm) on every core and on one thread, and the time from opening
// the page to the end of the first trained epoch of sprites.
//
//   npm run bench -- --lab          (or: node bench/lab.js after npm run build)
//   options: --epochs N (default 2), --chromium PATH (default /usr/bin/chromium)
//
// The model is the running example, a 784-400-20 VAE, batch 128, Adam 1e-3, on 10,000 sprites
// (28×28 like MNIST, generated in both places, so no download or file reading is timed).
// Each figure is the best epoch's. One JSON line per measurement, then a Markdown table.
import * as os from 'node:os';
import { chromium } from 'playwright-core';
import { initBackend, trainJob } from '../dist/index.js';
import { buildLab } from '../dist/server/lab.js';
import { computeThreads, setComputeThreads } from '../dist/node/backend/threads.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const EPOCHS = Number(option('epochs', 2));
const request = { model: 'vae', dataset: 'sprites', limit: 10000, hidden: [400], latent: 20, batchSize: 128, lr: 1e-3, epochs: EPOCHS };
const rows = [];
const emit = (row) => (console.log(JSON.stringify(row)), rows.push(row));

// Node: the same job on wasm, on every core and on one thread.
await initBackend('wasm');
const cores = computeThreads();
for (const threads of [cores, 1]) {
  setComputeThreads(threads);
  const speeds = [];
  const result = await trainJob(request, { onEpoch: (m) => speeds.push(m.samples_per_second), pictures: false });
  result.model.dispose();
  emit({ where: 'node', backend: 'wasm', threads, images_per_second: Math.round(Math.max(...speeds)) });
}

// The page.
const app = await buildLab({ port: 0, host: '127.0.0.1' });
const url = await app.listen({ port: 0, host: '127.0.0.1' });
const browser = await chromium.launch({ executablePath: option('chromium', '/usr/bin/chromium'), headless: true });
try {
  for (const threads of [undefined, 1]) {
    const page = await browser.newPage();
    const query = new URLSearchParams({ ...Object.fromEntries(Object.entries(request).map(([k, v]) => [k, String(v)])), autostart: '1', ...(threads ? { threads: String(threads) } : {}) });
    await page.goto(`${url}/?${query}`);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'done', null, { timeout: 600_000 });
    const speeds = await page.evaluate(() => Number(document.querySelector('[data-testid=images-per-second]')?.textContent));
    const shown = await page.locator('[data-testid=threads]').textContent();
    emit({ where: 'page', backend: await page.locator('[data-testid=backend]').textContent(), threads: Number(shown?.split(' ')[0]), images_per_second: speeds });
    await page.close();
  }

  // Time to the first trained epoch of sprites (the lab's default settings) from opening the page.
  const fresh = await browser.newPage();
  const started = Date.now();
  await fresh.goto(`${url}/?dataset=sprites&epochs=1&autostart=1`);
  await fresh.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'done', null, { timeout: 600_000 });
  emit({ where: 'page', measure: 'open to first epoch (sprites, defaults)', seconds: (Date.now() - started) / 1000 });
} finally {
  await browser.close();
  await app.close();
}

const speeds = rows.filter((r) => r.images_per_second !== undefined);
const nodeAll = speeds.find((r) => r.where === 'node' && r.threads === cores);
console.log(`\n${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}, headless chromium without GPU\n`);
console.log('| where | backend | threads | images/s | / Node, same threads |\n| --- | --- | ---: | ---: | ---: |');
for (const r of speeds) {
  const node = speeds.find((n) => n.where === 'node' && n.threads === r.threads) ?? nodeAll;
  console.log(`| ${r.where === 'node' ? 'Node' : 'page (Web Worker)'} | ${r.backend} | ${r.threads} | ${r.images_per_second} | ${(r.images_per_second / node.images_per_second).toFixed(2)} |`);
}
console.log(`\nopen to first trained epoch: ${rows.at(-1).seconds} s`);
