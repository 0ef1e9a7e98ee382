#!/usr/bin/env node
// Benchmarks: training throughput, evaluation throughput and memory, on this machine.
// Run with `npm run bench` (builds first). Numbers go to stdout as a table and JSON.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadBuiltinModels, getModelDefinition, generateSprites, makeBatch, disposeBatch, Rng, iwaeLogLikelihood } from '../dist/index.js';

const backend = process.argv.includes('--cpu') ? 'cpu' : 'wasm';
await initBackend(backend);
await loadBuiltinModels();
const data = generateSprites({ split: 'train', n: 2560, seed: 1 });

function build(model, input) {
  const def = getModelDefinition(model);
  return def.create(def.resolveConfig({ ...input, ...def.exampleInput }, { shape: data.shape, numClasses: data.numClasses }), new Rng(0));
}

function trainThroughput(name, model, input, steps = 30, batchSize = 128) {
  const m = build(model, input);
  const optimizer = tf.train.adam(1e-3);
  const rng = new Rng(1);
  const step = (i) => {
    const start = (i * batchSize) % (data.n - batchSize);
    const batch = makeBatch(data, null, start, start + batchSize);
    const loss = optimizer.minimize(() => m.forward(batch, { training: true, epoch: 1, rng }).loss, true, m.trainableVariables());
    loss.dataSync();
    loss.dispose();
    disposeBatch(batch);
  };
  for (let i = 0; i < 3; i++) step(i);
  const tensors = tf.memory().numTensors;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step(i);
  const seconds = (performance.now() - t0) / 1000;
  const result = { bench: name, samples_per_second: Math.round((steps * batchSize) / seconds), ms_per_step: +((1000 * seconds) / steps).toFixed(1), leaked_tensors: tf.memory().numTensors - tensors, tf_bytes: tf.memory().numBytes };
  optimizer.dispose();
  m.dispose();
  return result;
}

function iwaeThroughput() {
  const m = build('vae', {});
  const ds = { ...data, n: 20 };
  const t0 = performance.now();
  iwaeLogLikelihood(m, ds, { samples: 500, seed: 0 });
  const seconds = (performance.now() - t0) / 1000;
  m.dispose();
  return { bench: 'iwae vae 784-400-20 (decoded samples)', samples_per_second: Math.round((20 * 500) / seconds) };
}

const results = [
  trainThroughput('train vae 784-400-20 (mlp, batch 128)', 'vae', {}),
  trainThroughput('train vae 784-400-400-200 leaky-relu', 'vae', { hidden: '400,400', latent: 200, activation: 'leaky-relu' }),
  trainThroughput('train ae 784-512-256-32', 'ae', {}),
];
try {
  results.push(trainThroughput('train vae --arch conv (32, 64 filters)', 'vae', { arch: 'conv', hidden: '256' }, 10));
} catch (err) {
  results.push({ bench: 'train vae --arch conv', error: err.message });
}
results.push(iwaeThroughput());
console.log(`backend ${backend}, node ${process.version}, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);
console.table(results);
console.log(JSON.stringify({ backend, results }));
