#!/usr/bin/env node
// Training steps of the --arch conv VAE against PyTorch (bench/pytorch_conv_vae.py):
//
//   npm run bench -- --conv [--torch] [--rounds R] [--steps N] [--threads N] [--setup mnist|faces] [--memory]
//
// Setups: "mnist", the default conv VAE on 28×28×1 MNIST (32,64 filters, dense 400,
// latent 20, batch 128); "faces", --conv-filters 32,64,64,64 --latent 200 on 64×64×3
// images of the built-in shapes dataset, batch 32 (the network of the Keras book's
// faces VAE, without batch norm and dropout). Both run by default.
// Each round runs, one after the other: latentkit's train() on one thread and with the
// products shared across --threads (default every core); with --torch, PyTorch on one
// thread with glibc's default malloc and with malloc keeping freed memory (its faster
// setting here). Both sides train on the same images (written to a temporary file for
// PyTorch). One JSON line per variant (median and all rounds), then the ratios against
// PyTorch's faster one-thread setting.
// --memory trains the faces VAE for 4 epochs on shapes and reports tf.memory().numTensors
// after each epoch and the peak RSS.
import { spawnSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, getModelDefinition, loadDataset, floatPixels, pixelRange, train, createEngine, Rng } from '../dist/index.js';
import { setComputeThreads } from '../dist/node/backend/threads.js';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const backend = await initBackend(option('backend', 'wasm'));
const READ_EVERY = 16; // train() reports progress every 16 steps
const STEPS = Number(option('steps', 32));
const ROUNDS = Number(option('rounds', 3));
const PARALLEL = Number(option('threads', availableParallelism()));
if (!(STEPS > 0 && STEPS % READ_EVERY === 0)) throw new Error(`--steps must be a positive multiple of ${READ_EVERY}`);

const SETUPS = {
  mnist: { name: 'train conv vae 28×28×1 (32,64 filters, dense 400, latent 20) batch 128', data: 'mnist', shape: [28, 28, 1], batch: 128, filters: [32, 64], latent: 20 },
  faces: { name: 'train conv vae 64×64×3 (32,64,64,64 filters, dense 400, latent 200) batch 32', data: 'shapes', shape: [64, 64, 3], batch: 32, filters: [32, 64, 64, 64], latent: 200 },
};

const peakRssMib = () => Math.round(process.resourceUsage().maxRSS / 1024);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function buildModel(setup) {
  const def = getModelDefinition('vae');
  const config = def.resolveConfig({ arch: 'conv', convFilters: setup.filters, latent: setup.latent }, { shape: setup.shape, numClasses: 10 });
  return def.create(config, new Rng(0));
}

async function images(setup, split, n) {
  try {
    return await loadDataset(setup.data, { split, limit: n, quiet: true });
  } catch {
    // MNIST missing (no LATENTKIT_DATA_DIR): random pixels of its shape.
    const features = setup.shape[0] * setup.shape[1] * setup.shape[2];
    const values = new Float32Array(n * features);
    const rng = new Rng(1);
    for (let i = 0; i < values.length; i++) values[i] = rng.next();
    return { name: 'random', split, n, shape: setup.shape, pixels: floatPixels(values), labels: new Int32Array(n), numClasses: 10 };
  }
}

/** ms per optimizer step of train() between its first progress report (after 16 warm-up steps) and its last. */
async function trainStepMs(setup, trainSet, testSet, threads) {
  setComputeThreads(threads);
  const model = buildModel(setup);
  const reports = [];
  try {
    await train(model, trainSet, testSet, {
      epochs: 1000, batchSize: setup.batch, lr: 1e-3, seed: 0, workers: 1, engine: createEngine, maxSteps: READ_EVERY + STEPS,
      onStep: (p) => reports.push({ step: p.step, t: performance.now() }),
    });
  } finally {
    model.dispose();
    setComputeThreads(undefined);
  }
  const [first, last] = [reports[0], reports[reports.length - 1]];
  return (last.t - first.t) / (last.step - first.step);
}

/** glibc malloc keeping freed memory (PyTorch then stops page-faulting on every fresh tensor; see run.js). */
const KEEP_MEMORY = { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=1073741824' };

function torchStepMs(setup, dataFile, keepMemory) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const python = option('python', fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', ...(keepMemory ? KEEP_MEMORY : {}) };
  const script = [path.join(here, 'pytorch_conv_vae.py'), '--shape', setup.shape.join(','), '--filters', setup.filters.join(','), '--latent', String(setup.latent)];
  const out = spawnSync(python, [...script, '--batch-size', String(setup.batch), '--steps', String(STEPS), '--warmup', String(READ_EVERY), '--data', dataFile, '--threads', '1'], { encoding: 'utf8', env });
  if (out.status !== 0) throw new Error(`pytorch_conv_vae.py failed (is PyTorch installed for ${python}?): ${out.stderr.trim().split('\n').pop()}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()).ms_per_step;
}

async function benchSetup(setup) {
  // One epoch holds every measured step (train() counts steps within an epoch, and an epoch's end runs the test set).
  const trainSet = await images(setup, 'train', setup.batch * (READ_EVERY + STEPS + 1));
  const testSet = await images(setup, 'test', 256);
  const dataFile = path.join(fs.mkdtempSync(path.join(tmpdir(), 'latentkit-conv-')), 'images.f32');
  const values = pixelRange(trainSet);
  fs.writeFileSync(dataFile, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  const variants = [
    { key: 'latentkit 1 thread', threads: 1, run: () => trainStepMs(setup, trainSet, testSet, 1) },
    ...(PARALLEL > 1 ? [{ key: `latentkit ${PARALLEL} threads`, threads: PARALLEL, run: () => trainStepMs(setup, trainSet, testSet, PARALLEL) }] : []),
    ...(flag('torch')
      ? [
          { key: 'pytorch 1 thread', torch: true, run: async () => torchStepMs(setup, dataFile, false) },
          { key: 'pytorch 1 thread, malloc keeps memory', torch: true, run: async () => torchStepMs(setup, dataFile, true) },
        ]
      : []),
  ];
  const times = Object.fromEntries(variants.map((v) => [v.key, []]));
  try {
    // Interleaved rounds, so a change in the machine's load hits every variant alike.
    for (let r = 0; r < ROUNDS; r++) for (const v of variants) times[v.key].push(await v.run());
  } finally {
    fs.rmSync(path.dirname(dataFile), { recursive: true, force: true });
  }
  const medians = {};
  for (const v of variants) {
    medians[v.key] = median(times[v.key]);
    const who = v.torch ? { backend: 'pytorch-cpu', setup: v.key } : { backend, threads: v.threads, peak_rss_mib: peakRssMib() };
    console.log(JSON.stringify({ name: setup.name, ...who, ms_per_step: +medians[v.key].toFixed(2), examples_per_second: Math.round((setup.batch * 1000) / medians[v.key]), steps: STEPS, rounds: ROUNDS, data: trainSet.name, all_ms: times[v.key].map((x) => +x.toFixed(1)) }));
  }
  if (!flag('torch')) return;
  const torch = Math.min(...variants.filter((v) => v.torch).map((v) => medians[v.key]));
  for (const v of variants.filter((v) => !v.torch)) {
    console.log(JSON.stringify({ name: `ratio latentkit/pytorch (${setup.name}, ${v.key}; medians of interleaved rounds)`, backend, against_fastest_pytorch_1_thread: +(medians[v.key] / torch).toFixed(2) }));
  }
}

/** Tensors after each epoch and the peak RSS while training the faces VAE on shapes. */
async function benchMemory() {
  const setup = SETUPS.faces;
  const trainSet = await loadDataset('shapes', { split: 'train', limit: 2048, quiet: true });
  const testSet = await loadDataset('shapes', { split: 'test', limit: 256, quiet: true });
  const model = buildModel(setup);
  const tensors = [];
  const rss = [];
  const t0 = performance.now();
  await train(model, trainSet, testSet, {
    epochs: 4, batchSize: setup.batch, lr: 1e-3, seed: 0, workers: 1,
    onEpoch: () => {
      tensors.push(tf.memory().numTensors);
      rss.push(Math.round(process.memoryUsage().rss / 2 ** 20));
    },
  });
  model.dispose();
  console.log(JSON.stringify({ name: `${setup.name}: 4 epochs on ${trainSet.n} shapes images`, backend, seconds: +((performance.now() - t0) / 1000).toFixed(1), tensors_after_each_epoch: tensors, flat: tensors.every((t) => t === tensors[0]), rss_mib_after_each_epoch: rss, peak_rss_mib: peakRssMib() }));
}

const chosen = option('setup');
if (chosen != null && !(chosen in SETUPS)) throw new Error(`--setup must be one of ${Object.keys(SETUPS).join(', ')}`);
if (!flag('memory') || chosen != null) for (const name of chosen ? [chosen] : Object.keys(SETUPS)) await benchSetup(SETUPS[name]);
if (flag('memory')) await benchMemory();
