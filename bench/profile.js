#!/usr/bin/env node
// Where a training step of the default VAE spends its time, kernel by kernel.
//
//   node bench/profile.js [wasm|cpu] [--kernels | --shapes] [--stock-adam] [--steps N] [--conv | --faces | --decode | --iwae] [--batch-norm] [--threads N] [--cpu]
//
// --conv profiles the conv VAE (--arch conv, 28×28×1 MNIST, batch 128) instead,
// --faces the 64×64×3 one (--conv-filters 32,64,64,64 --latent 200, batch 32, on
// the built-in shapes images); --batch-norm turns on the conv VAE's batch normalisation.
//
// --decode profiles decoding 1,000 codes instead, --iwae the IWAE bound with K=1000 of 16
// images (what bench/run.js times); --threads sets the threads of the matrix products
// (default: every core).
// Runs optimizer.minimize(model.forward(...).loss) on a fixed batch of 128 MNIST
// images (from LATENTKIT_DATA_DIR; random pixels without it, which run slower: the
// matrix product skips the all-zero blocks of MNIST's background), the same work
// as one step of train() without the data pipeline. With
// --kernels every kernel of the backend is wrapped with a timer and the table
// lists calls and ms per step; the wrappers cost a little, so compare runs with
// the same flags; --shapes splits the table by the kernels' input shapes. --cpu measures process CPU time instead of wall time (steadier
// on a loaded machine with LATENTKIT_THREADS=1). --stock-adam uses tf.train.adam instead of latentkit's fused Adam.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, getModelDefinition, loadDataset, pixelRange, Rng, iwaeLogLikelihood } from '../dist/index.js';
import { setComputeThreads } from '../dist/node/backend/threads.js';

const args = process.argv.slice(2);
const backend = await initBackend(args.find((a) => !a.startsWith('--') && Number.isNaN(Number(a))) ?? 'wasm');
const stepsIndex = args.indexOf('--steps');
const STEPS = stepsIndex >= 0 ? Number(args[stepsIndex + 1]) : 30;
const threadsIndex = args.indexOf('--threads');
if (threadsIndex >= 0) setComputeThreads(Number(args[threadsIndex + 1]));

const setup = args.includes('--faces')
  ? { name: 'conv vae 64×64×3 32,64,64,64 latent 200 batch 32', config: { arch: 'conv', convFilters: [32, 64, 64, 64], latent: 200 }, data: 'shapes', shape: [64, 64, 3], batch: 32 }
  : args.includes('--conv')
    ? { name: 'conv vae 28×28×1 32,64 batch 128', config: { arch: 'conv' }, data: 'mnist', shape: [28, 28, 1], batch: 128 }
    : { name: 'vae 784-400-20 batch 128', config: {}, data: 'mnist', shape: [28, 28, 1], batch: 128 };
if (args.includes('--batch-norm')) {
  setup.config.batchNorm = true;
  setup.name += ' batch norm';
}
const def = getModelDefinition('vae');
const model = def.create(def.resolveConfig(setup.config, { shape: setup.shape, numClasses: 10 }), new Rng(0));
// Builds from before latentkit's fused Adam have only tf.train.adam.
const optimizer = args.includes('--stock-adam') ? tf.train.adam(1e-3) : (await import('../dist/core/train/optimizers/adam.js')).adam(1e-3);
const rng = new Rng(1);
const features = setup.shape[0] * setup.shape[1] * setup.shape[2];
const mnist = await loadDataset(setup.data, { split: 'train', limit: setup.batch, quiet: true }).catch(() => null);
const batch = { x: mnist ? tf.tensor2d(pixelRange(mnist), [setup.batch, features]) : tf.randomUniform([setup.batch, features]), labels: tf.zeros([setup.batch], 'int32') };
const vars = model.trainableVariables();

const cpuClock = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const now = args.includes('--cpu') ? cpuClock : () => performance.now();
const times = new Map();
// Kernels that run other kernels directly (latentkit's Dense runs _FusedMatMul) are timed as
// one: only the outermost call of a nest is recorded.
let depth = 0;
const SHAPES = args.includes('--shapes');
if (args.includes('--kernels') || SHAPES) {
  for (const kernel of tf.getKernelsForBackend(backend)) {
    const inner = kernel.kernelFunc;
    tf.unregisterKernel(kernel.kernelName, backend);
    const kernelFunc = (a) => {
      const t0 = now();
      depth++;
      let out;
      try {
        out = inner(a);
      } finally {
        depth--;
      }
      if (depth > 0) return out;
      const key = SHAPES ? `${kernel.kernelName} ${Object.values(a.inputs).filter(Boolean).map((t) => t.shape.join('×')).join(' ')}` : kernel.kernelName;
      const entry = times.get(key) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += now() - t0;
      times.set(key, entry);
      return out;
    };
    tf.registerKernel({ ...kernel, kernelFunc });
  }
}

const z = tf.randomNormal([1000, 20]);
const few = mnist ? { ...mnist, n: 16 } : null;
const TRAIN = `train step ${setup.name}`;
const what = args.includes('--decode') ? 'decode 1000 codes' : args.includes('--iwae') ? 'iwae K=1000 of 16 images' : TRAIN;
if (what.startsWith('iwae') && !few) throw new Error('--iwae needs MNIST (LATENTKIT_DATA_DIR)');
const step = {
  'decode 1000 codes': () => model.decode(z).dispose(),
  'iwae K=1000 of 16 images': () => iwaeLogLikelihood(model, few, { samples: 1000, seed: 0 }),
  [TRAIN]: () => {
    const loss = optimizer.minimize(() => model.forward(batch, { training: true, epoch: 1, rng }).loss, true, vars);
    loss.dataSync();
    loss.dispose();
  },
}[what];
for (let i = 0; i < 5; i++) step();
times.clear();
const t0 = now();
for (let i = 0; i < STEPS; i++) step();
const msPerStep = (now() - t0) / STEPS;
const kernels = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([name, e]) => ({ kernel: name, calls: e.calls / STEPS, ms: +(e.ms / STEPS).toFixed(2) }));
const kernelMs = kernels.reduce((s, k) => s + k.ms, 0);
console.log(JSON.stringify({ name: `profile ${what}`, backend, data: mnist ? setup.data : 'random', adam: args.includes('--stock-adam') ? 'tf.train.adam' : 'fused', clock: args.includes('--cpu') ? 'cpu' : 'wall', ms_per_step: +msPerStep.toFixed(2), kernel_ms: +kernelMs.toFixed(2) }));
if (kernels.length > 0) console.table(kernels);
