#!/usr/bin/env node
// Benchmarks of the default VAE (784-400-20, batch 128, BCE + KL, Adam) on this machine.
//
//   npm run bench                      training step, encode, decode, IWAE, Adam update (wasm)
//   npm run bench -- --torch           also PyTorch (bench/pytorch_vae.py), interleaved, and the ratio
//                                      (training, then decode and IWAE: bench/inference_torch.js)
//   npm run bench -- --scale           one epoch on 10k, 30k and 60k MNIST images; tensors across epochs
//   npm run bench -- --backend cpu     another backend
//   npm run bench -- --inference-only  encode, decode, IWAE and Adam only (no training rounds)
//   npm run bench -- --serve           the HTTP service under load against FastAPI + PyTorch (bench/serve.js)
//   npm run bench -- --lab             training in the browser page against Node, time to first epoch (bench/lab.js)
//   npm run bench -- --conv            the conv VAEs (28×28×1 and 64×64×3), --torch against PyTorch (bench/conv.js)
//   options: --steps N (default 64, a multiple of 16), --rounds R (default 3), --python PATH,
//            --threads N (the parallel lines: shared products, or N data-parallel workers; default: every core)
//
// Prints one JSON line per measurement: name, backend, ms_per_step, examples_per_second,
// peak_rss_mib (process peak so far), and extra fields. Training runs through the
// library's own train() (the code path of `latentkit train`), on one thread and on
// every core (data-parallel workers); the PyTorch reference runs with its default
// Adam and with foreach=True (its faster one here), all in interleaved rounds.
// MNIST is read from LATENTKIT_DATA_DIR when available; otherwise random pixels of
// the same shape are used (slower: the matrix product skips the all-zero blocks of
// MNIST's background, and random pixels have none).
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, getModelDefinition, loadDataset, train, iwaeLogLikelihood, forEachBatch, Rng, createEngine, floatPixels } from '../dist/index.js';
import { setComputeThreads } from '../dist/node/backend/threads.js';
import { adam } from '../dist/core/train/optimizers/adam.js';
import { inferenceAgainstTorch } from './inference_torch.js';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
if (flag('serve') || flag('lab') || flag('conv')) {
  await import(flag('serve') ? './serve.js' : flag('lab') ? './lab.js' : './conv.js');
  process.exit(0);
}
const backend = await initBackend(option('backend', 'wasm'));
const STEPS = Number(option('steps', 64));
const ROUNDS = Number(option('rounds', 3));
const BATCH = 128;
const READ_EVERY = 16; // train() reports progress every 16 steps
if (!(STEPS > 0 && STEPS % READ_EVERY === 0)) throw new Error(`--steps must be a positive multiple of ${READ_EVERY}`);

const peakRssMib = () => Math.round(process.resourceUsage().maxRSS / 1024);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function emit(name, ms, examples, extra = {}) {
  const row = { name, backend, ms_per_step: +ms.toFixed(2), examples_per_second: Math.round((examples * 1000) / ms), peak_rss_mib: peakRssMib(), ...extra };
  console.log(JSON.stringify(row));
  return row;
}

async function mnistOrRandom(split, n) {
  try {
    return await loadDataset('mnist', { split, limit: n, quiet: true });
  } catch {
    const images = new Float32Array(n * 784);
    const rng = new Rng(1);
    for (let i = 0; i < images.length; i++) images[i] = rng.next();
    return { name: 'random', split, n, shape: [28, 28, 1], pixels: floatPixels(images), labels: new Int32Array(n), numClasses: 10 };
  }
}

function buildVae(seed = 0) {
  const def = getModelDefinition('vae');
  return def.create(def.resolveConfig({}, { shape: [28, 28, 1], numClasses: 10 }), new Rng(seed));
}

/**
 * ms per optimizer step of the real train(): the steps between the first progress
 * report (after 16 warm-up steps) and the last one.
 */
async function trainStepMs(trainSet, testSet, steps, workers = 1) {
  const model = buildVae();
  const reports = [];
  await train(model, trainSet, testSet, {
    epochs: 1000, batchSize: BATCH, lr: 1e-3, seed: 0, workers, engine: createEngine, maxSteps: READ_EVERY + steps,
    onStep: (p) => reports.push({ step: p.step, t: performance.now() }),
  });
  model.dispose();
  const [first, last] = [reports[0], reports[reports.length - 1]];
  return (last.t - first.t) / (last.step - first.step);
}

/**
 * glibc malloc settings that keep freed memory for reuse instead of returning
 * large blocks to the kernel: PyTorch's CPU allocator then stops paying a page
 * fault per page of every fresh tensor (on this VM ~2/3 of its step).
 */
const KEEP_MEMORY = { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=1073741824' };

/** The reference script, once: its JSON lines. */
function runTorch(extraArgs, { threads = 1, keepMemory = false } = {}) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const python = option('python', fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), ...(keepMemory ? KEEP_MEMORY : {}) };
  const out = spawnSync(python, [path.join(here, 'pytorch_vae.py'), ...extraArgs, '--threads', String(threads)], { encoding: 'utf8', env });
  if (out.status !== 0) throw new Error(`pytorch_vae.py failed (is PyTorch installed for ${python}?): ${out.stderr.trim().split('\n').pop()}`);
  return out.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

/** PyTorch's setups: the VAE example as written, with the multi-tensor Adam, with memory kept, and on every core. */
const TORCH_SETUPS = [
  { label: '1 thread, Adam default', threads: 1, foreach: false, keepMemory: false },
  { label: '1 thread, Adam foreach', threads: 1, foreach: true, keepMemory: false },
  { label: '1 thread, Adam default, malloc keeps memory', threads: 1, foreach: false, keepMemory: true },
  { label: '1 thread, Adam foreach, malloc keeps memory', threads: 1, foreach: true, keepMemory: true },
  { label: `${availableParallelism()} threads, Adam foreach, malloc keeps memory`, threads: availableParallelism(), foreach: true, keepMemory: true },
];

/** Threads of the parallel measurements: every core (what --threads defaults to). */
const PARALLEL = Number(option('threads', availableParallelism()));

/** ms per step of train() with `threads` for the matrix products and `workers` replicas. */
async function trainStepMsWith(trainSet, testSet, { threads, workers }) {
  setComputeThreads(threads);
  try {
    return await trainStepMs(trainSet, testSet, STEPS, workers);
  } finally {
    setComputeThreads(undefined);
  }
}

async function benchTraining() {
  const trainSet = await mnistOrRandom('train', 60000);
  const testSet = await mnistOrRandom('test', 256);
  // Interleaved rounds, so a change in the machine's load hits every variant alike.
  const setups = [{ threads: 1, workers: 1 }, ...(PARALLEL > 1 ? [{ threads: PARALLEL, workers: 1 }, { threads: 1, workers: PARALLEL }] : [])];
  const variants = [
    ...setups.map((setup) => ({ key: `ours:${setup.threads}:${setup.workers}`, setup, run: () => trainStepMsWith(trainSet, testSet, setup) })),
    ...TORCH_SETUPS.filter(() => flag('torch')).map((t) => ({ key: `torch:${t.label}`, torch: t, run: async () => runTorch(['--steps', String(STEPS), '--warmup', String(READ_EVERY), '--train-only', ...(t.foreach ? ['--foreach'] : [])], t)[0].ms_per_step })),
  ];
  const times = Object.fromEntries(variants.map((v) => [v.key, []]));
  for (let r = 0; r < ROUNDS; r++) for (const v of variants) times[v.key].push(await v.run());
  const name = `train vae 784-400-20 batch ${BATCH}`;
  const all = (key) => times[key].map((x) => +x.toFixed(1));
  const ours = {};
  for (const v of variants.filter((v) => v.setup)) {
    const label = `threads ${v.setup.threads}, workers ${v.setup.workers}`;
    ours[label] = median(times[v.key]);
    emit(name, ours[label], BATCH, { ...v.setup, steps: STEPS, rounds: ROUNDS, data: trainSet.name, all_ms: all(v.key) });
  }
  if (flag('torch')) {
    const torch = {};
    for (const v of variants.filter((v) => v.torch)) {
      torch[v.torch.label] = median(times[v.key]);
      const { label, ...setup } = v.torch;
      console.log(JSON.stringify({ name, backend: 'pytorch-cpu', setup: label, ...setup, ms_per_step: torch[label], examples_per_second: Math.round((BATCH * 1000) / torch[label]), all_ms: all(v.key) }));
    }
    // Against PyTorch's fastest setup on one thread (the reference the targets name), and on every core.
    const oneThread = Math.min(...TORCH_SETUPS.filter((t) => t.threads === 1).map((t) => torch[t.label]));
    const allCores = Math.min(...Object.values(torch));
    for (const [label, ms] of Object.entries(ours)) {
      console.log(JSON.stringify({ name: `ratio latentkit/pytorch (train step, ${label}; medians of interleaved rounds)`, backend, against_fastest_pytorch_1_thread: +(ms / oneThread).toFixed(2), against_fastest_pytorch_any: +(ms / allCores).toFixed(2) }));
    }
  }
  return { trainSet, testSet };
}

/** Encode, decode and IWAE throughput on one thread and with the products shared across every core. */
function benchInference(data) {
  const model = buildVae();
  const ds = { ...data, n: Math.min(10000, data.n) };
  const batch = 1000;
  const z = tf.randomNormal([batch, 20]);
  const few = { ...data, n: 16 };
  const samples = 1000;
  // Like the PyTorch reference, the result stays a tensor (disposed); reading it into a
  // JavaScript array adds a fresh allocation each time (page faults here), so that is
  // measured beside it (with_read_ms).
  const timed = (fn) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  const encodeAll = (read) => forEachBatch(ds, batch, (b) => {
    const mu = model.encode(b);
    if (read) mu.dataSync();
    mu.dispose();
  });
  const decodeMany = (read, times) => {
    for (let i = 0; i < times; i++) {
      const x = model.decode(z);
      if (read) x.dataSync();
      x.dispose();
    }
  };
  for (const threads of PARALLEL > 1 ? [1, PARALLEL] : [1]) {
    setComputeThreads(threads);
    // Warm-up until allocations are recycled (fresh pages fault slowly on this VM).
    for (let i = 0; i < 3; i++) encodeAll(true);
    const encodeMs = timed(() => encodeAll(false));
    const encodeReadMs = timed(() => encodeAll(true));
    emit(`encode batch ${batch}`, (encodeMs * batch) / ds.n, batch, { threads, with_read_ms: +((encodeReadMs * batch) / ds.n).toFixed(2) });
    decodeMany(true, 10);
    const decodeMs = timed(() => decodeMany(false, 20)) / 20;
    const decodeReadMs = timed(() => decodeMany(true, 20)) / 20;
    emit(`decode batch ${batch}`, decodeMs, batch, { threads, with_read_ms: +decodeReadMs.toFixed(2) });
    // Warm-up at the measured size: the first run page-faults its way through the fresh heap
    // (~19,000 faults, 30 ms per example against 13 once warm).
    iwaeLogLikelihood(model, few, { samples, seed: 0 });
    const ms = timed(() => iwaeLogLikelihood(model, few, { samples, seed: 0 })) / few.n;
    emit(`iwae K=${samples} (ms per example)`, ms, 1, { threads, decoded_per_second: Math.round((samples * 1000) / ms) });
  }
  setComputeThreads(undefined);
  z.dispose();
  model.dispose();
}

/** One Adam update of the VAE's 10 variables: tf.train.adam against latentkit's fused kernel, interleaved. */
function benchAdam() {
  const model = buildVae();
  const vars = model.trainableVariables();
  const grads = vars.map((v) => tf.randomNormal(v.shape, 0, 0.01));
  const optimizers = { 'tf.train.adam': tf.train.adam(1e-3), 'latentkit fused adam': adam(1e-3) };
  const times = Object.fromEntries(Object.keys(optimizers).map((k) => [k, []]));
  for (let r = 0; r < 30; r++) {
    for (const [name, opt] of Object.entries(optimizers)) {
      const t0 = performance.now();
      opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
      vars[0].dataSync();
      if (r >= 3) times[name].push(performance.now() - t0);
    }
  }
  const params = vars.reduce((s, v) => s + v.size, 0);
  for (const name of Object.keys(optimizers)) emit(`adam update, ${name} (${params} parameters)`, median(times[name]), BATCH);
  tf.dispose(grads);
  Object.values(optimizers).forEach((o) => o.dispose());
  model.dispose();
}

/** One epoch on 10k, 30k, 60k images (time should grow linearly), and tensors after each of 3 epochs. */
async function benchScale(trainSet, testSet) {
  for (const n of [10000, 30000, 60000]) {
    const model = buildVae();
    const result = await train(model, { ...trainSet, n: Math.min(n, trainSet.n) }, testSet, { epochs: 1, batchSize: BATCH, lr: 1e-3, seed: 0, workers: 1 });
    const seconds = result.metrics[0].seconds;
    emit(`epoch on ${n} images`, (1000 * seconds * BATCH) / n, BATCH, { examples: n, seconds_per_epoch: +seconds.toFixed(2), us_per_example: +((1e6 * seconds) / n).toFixed(1) });
    model.dispose();
  }
  const model = buildVae();
  const tensors = [];
  await train(model, { ...trainSet, n: Math.min(5000, trainSet.n) }, testSet, { epochs: 3, batchSize: BATCH, lr: 1e-3, seed: 0, workers: 1, onEpoch: () => tensors.push(tf.memory().numTensors) });
  model.dispose();
  console.log(JSON.stringify({ name: 'tf.memory().numTensors after each epoch', backend, tensors, flat: tensors.every((t) => t === tensors[0]), peak_rss_mib: peakRssMib() }));
}

const { trainSet, testSet } = flag('inference-only')
  ? { trainSet: await mnistOrRandom('train', 60000), testSet: await mnistOrRandom('test', 10000) }
  : await benchTraining();
if (!flag('train-only')) {
  benchInference(testSet.n >= 1000 ? testSet : trainSet);
  benchAdam();
}
if (flag('scale')) await benchScale(trainSet, testSet);
if (flag('torch') && !flag('train-only')) {
  const data = testSet.n >= 1000 ? testSet : trainSet;
  inferenceAgainstTorch({ buildVae, data, runTorch, threadsList: PARALLEL > 1 ? [1, PARALLEL] : [1], rounds: ROUNDS, backend });
}
