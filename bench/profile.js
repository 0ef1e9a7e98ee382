#!/usr/bin/env node
// Where a training step of the default VAE spends its time, kernel by kernel.
//
//   node bench/profile.js [wasm|cpu] [--kernels] [--stock-adam] [--steps N]
//
// Runs optimizer.minimize(model.forward(...).loss) on a fixed batch of 128 MNIST
// images (from LATENTKIT_DATA_DIR; random pixels without it, which run slower: the
// matrix product skips the all-zero blocks of MNIST's background), the same work
// as one step of train() without the data pipeline. With
// --kernels every kernel of the backend is wrapped with a timer and the table
// lists calls and ms per step; the wrappers cost a little, so compare runs with
// the same flags. --stock-adam uses tf.train.adam instead of latentkit's fused Adam.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, getModelDefinition, loadDataset, pixelRange, Rng } from '../dist/index.js';

const args = process.argv.slice(2);
const backend = await initBackend(args.find((a) => !a.startsWith('--') && Number.isNaN(Number(a))) ?? 'wasm');
const stepsIndex = args.indexOf('--steps');
const STEPS = stepsIndex >= 0 ? Number(args[stepsIndex + 1]) : 30;

const def = getModelDefinition('vae');
const model = def.create(def.resolveConfig({}, { shape: [28, 28, 1], numClasses: 10 }), new Rng(0));
// Builds from before latentkit's fused Adam have only tf.train.adam.
const optimizer = args.includes('--stock-adam') ? tf.train.adam(1e-3) : (await import('../dist/core/train/optimizers/adam.js')).adam(1e-3);
const rng = new Rng(1);
const mnist = await loadDataset('mnist', { split: 'train', limit: 128, quiet: true }).catch(() => null);
const batch = { x: mnist ? tf.tensor2d(pixelRange(mnist), [128, 784]) : tf.randomUniform([128, 784]), labels: tf.zeros([128], 'int32') };
const vars = model.trainableVariables();

const times = new Map();
// Kernels that run other kernels directly (latentkit's Dense runs _FusedMatMul) are timed as
// one: only the outermost call of a nest is recorded.
let depth = 0;
if (args.includes('--kernels')) {
  for (const kernel of tf.getKernelsForBackend(backend)) {
    const inner = kernel.kernelFunc;
    tf.unregisterKernel(kernel.kernelName, backend);
    const kernelFunc = (a) => {
      const t0 = performance.now();
      depth++;
      let out;
      try {
        out = inner(a);
      } finally {
        depth--;
      }
      if (depth > 0) return out;
      const entry = times.get(kernel.kernelName) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += performance.now() - t0;
      times.set(kernel.kernelName, entry);
      return out;
    };
    tf.registerKernel({ ...kernel, kernelFunc });
  }
}

const step = () => {
  const loss = optimizer.minimize(() => model.forward(batch, { training: true, epoch: 1, rng }).loss, true, vars);
  loss.dataSync();
  loss.dispose();
};
for (let i = 0; i < 5; i++) step();
times.clear();
const t0 = performance.now();
for (let i = 0; i < STEPS; i++) step();
const msPerStep = (performance.now() - t0) / STEPS;
const kernels = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([name, e]) => ({ kernel: name, calls: e.calls / STEPS, ms: +(e.ms / STEPS).toFixed(2) }));
const kernelMs = kernels.reduce((s, k) => s + k.ms, 0);
console.log(JSON.stringify({ name: 'profile train step vae 784-400-20 batch 128', backend, data: mnist ? 'mnist' : 'random', adam: args.includes('--stock-adam') ? 'tf.train.adam' : 'fused', ms_per_step: +msPerStep.toFixed(2), kernel_ms: +kernelMs.toFixed(2) }));
if (kernels.length > 0) console.table(kernels);
