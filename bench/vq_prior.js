#!/usr/bin/env node
// The VQ-VAE's two priors over its G code indices on MNIST: held-out negative log-likelihood of
// the test images' indices (nats per image), from one trained run with --vq-prior autoregressive,
// whose usage counts are the independent prior of the same codebook. Also the best independent
// prior there is: each group's frequencies over the training images' indices (add-½ smoothed, so
// no held-out index has probability 0), in plain JavaScript.
//
//   npx tsc -p tsconfig.build.json && sh bench/vq_prior.sh     (trains, then runs this)
//   node bench/vq_prior.js RUN [LIMIT]                          (a trained run; LIMIT training images)
//
// Writes RUN-independent/, the same run with the independent prior, for `latentkit sample`.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadRun } from '../dist/index.js';
import { loadDataset } from '../dist/core/data/load.js';
import { makeBatch, disposeBatch } from '../dist/core/data/batches.js';

const [dir, limit = '20000'] = process.argv.slice(2);
await initBackend('wasm');
const { model, config } = await loadRun(dir);
const { codeGroups: G, codebookSize: K } = config.model;

/** Indices [n][G] and, when the model has them, per-image log p under its prior. */
function indicesOf(ds) {
  const rows = [];
  const logPrior = [];
  for (let start = 0; start < ds.n; start += 500) {
    const batch = makeBatch(ds, null, start, Math.min(start + 500, ds.n));
    tf.tidy(() => {
      const indices = model.codeIndices(batch);
      rows.push(...indices.arraySync());
      logPrior.push(...model.logPriorOfIndices(indices).dataSync());
    });
    disposeBatch(batch);
  }
  return { rows, logPrior };
}

const train = indicesOf(await loadDataset('mnist', { split: 'train', limit: Number(limit) }));
const test = indicesOf(await loadDataset('mnist', { split: 'test' }));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

const counts = Array.from({ length: G }, () => new Float64Array(K).fill(0.5));
for (const row of train.rows) row.forEach((k, g) => counts[g][k]++);
const empirical = (row) => row.reduce((s, k, g) => s + Math.log(counts[g][k] / (train.rows.length + 0.5 * K)), 0);

const usage = model.quantizer.usage().arraySync();
const usageLog = (row) => row.reduce((s, k, g) => s + Math.log(usage[g][k] / usage[g].reduce((a, b) => a + b, 0)), 0);
const usageScores = test.rows.map(usageLog);
const finite = usageScores.filter(Number.isFinite);
const distinct = (rows) => new Set(rows.map((r) => r.join(','))).size;

console.log(JSON.stringify({
  run: dir,
  groups: G,
  codebook: K,
  uniform_nll: +(G * Math.log(K)).toFixed(2),
  test_nll_autoregressive: +(-mean(test.logPrior)).toFixed(2),
  train_nll_autoregressive: +(-mean(train.logPrior)).toFixed(2),
  test_nll_independent_train_frequencies: +(-mean(test.rows.map(empirical))).toFixed(2),
  test_nll_independent_usage_counts: +(-mean(finite)).toFixed(2),
  test_images_with_an_index_the_usage_counts_never_saw: usageScores.length - finite.length,
  distinct_test_index_tuples: distinct(test.rows),
  test_images: test.rows.length,
}));

// The same run with the independent prior: no prior network, the usage counts sample.
const other = `${dir}-independent`;
rmSync(other, { recursive: true, force: true });
cpSync(dir, other, { recursive: true });
rmSync(`${other}/model/prior`, { recursive: true, force: true });
rmSync(`${other}/checkpoint`, { recursive: true, force: true });
const json = JSON.parse(readFileSync(`${other}/config.json`, 'utf8'));
json.model.vqPrior = 'independent';
json.networks = json.networks.filter((n) => n !== 'prior');
writeFileSync(`${other}/config.json`, `${JSON.stringify(json, null, 2)}\n`);
