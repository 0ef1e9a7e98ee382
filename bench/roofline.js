#!/usr/bin/env node
// Roofline of the matrix products: the machine's 128-bit WebAssembly SIMD peak
// against the GFLOP/s each large product of the default VAE reaches.
//
//   npm run build && node bench/roofline.js [--threads N] [--reps R]
//
// Peak: a generated loop of independent f32x4 multiply-adds (12 accumulators,
// more than the FMA latency × units in flight, no memory traffic), fused into
// f32x4.relaxed_madd where the engine has relaxed SIMD, as the product's own
// module is. One thread; the product on N threads is compared against N × that.
// Products: each large product of one training step (batch 128) and of decoding
// 1,000 codes, on the wasm backend (latentkit's SIMD product), random operands
// (no all-zero blocks to skip, so every multiply-add is done); GFLOP/s of the fastest of R runs,
// as for the peak, with the median beside it.
// Prints one JSON line per measurement.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../dist/index.js';
import { setComputeThreads } from '../dist/node/backend/threads.js';
import { moduleBytes, op, Locals, V128, I32 } from '../dist/core/backend/wasm/assembler.js';
import { gemmCodegen } from '../dist/core/backend/kernels/gemm/simd_gemm.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const THREADS = option('threads', availableParallelism());
const REPS = option('reps', 15);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

await initBackend('wasm');
const fma = gemmCodegen().fma;

/** peak(iterations): 12 independent accumulators, each one multiply-add (8 flops) per iteration; stored at 0 so nothing is dead code. */
function peakModule() {
  const ACC = 12;
  const N = 0;
  const locals = new Locals(1);
  const acc = locals.addMany(V128, ACC);
  const [x, y] = locals.addMany(V128, 2);
  const code = [];
  code.push(...op.f32Const(1.0000001), ...op.f32x4Splat, ...op.set(x), ...op.f32Const(0.9999999), ...op.f32x4Splat, ...op.set(y));
  acc.forEach((a, i) => code.push(...op.f32Const(i), ...op.f32x4Splat, ...op.set(a)));
  const body = acc.flatMap((a) => (fma ? [...op.get(x), ...op.get(y), ...op.get(a), ...op.f32x4RelaxedMadd, ...op.set(a)] : [...op.get(a), ...op.get(x), ...op.f32x4Mul, ...op.get(y), ...op.f32x4Add, ...op.set(a)]));
  code.push(...op.block, ...op.loop, ...op.get(N), ...op.i32Eqz, ...op.brIf(1), ...body, ...op.get(N), ...op.i32(-1), ...op.i32Add, ...op.set(N), ...op.br(0), ...op.end, ...op.end);
  acc.forEach((a, i) => code.push(...op.i32(16 * i), ...op.get(a), ...op.v128Store()));
  return { fn: moduleBytes([{ name: 'peak', params: [I32], locals: locals.types, body: code }]), flopsPerIteration: ACC * 8 };
}

function measurePeak() {
  const { fn, flopsPerIteration } = peakModule();
  const memory = new WebAssembly.Memory({ initial: 1 });
  const { peak } = new WebAssembly.Instance(new WebAssembly.Module(fn), { env: { memory } }).exports;
  // Short runs (~5 ms), many of them: on a shared machine some run without being preempted.
  const iterations = 2e6;
  peak(iterations);
  const times = [];
  for (let r = 0; r < 4 * REPS; r++) {
    const t0 = performance.now();
    peak(iterations);
    times.push(performance.now() - t0);
  }
  // The fastest run: the peak is what the core can do, not what a loaded machine gave on average.
  return (iterations * flopsPerIteration) / (Math.min(...times) * 1e6);
}

/** The large products: [label, m, k, n, transposeA, transposeB]. */
const PRODUCTS = [
  ['train: encoder x·W1 (128×784·784×400)', 128, 784, 400, false, false],
  ['train: decoder h·W4 (128×400·400×784)', 128, 400, 784, false, false],
  ['train: ∂W1 = xᵀ·dY (784×128·128×400)', 784, 128, 400, true, false],
  ['train: ∂W4 = hᵀ·dY (400×128·128×784)', 400, 128, 784, true, false],
  ['train: ∂h = dY·W4ᵀ (128×784·784×400)', 128, 784, 400, false, true],
  ['decode: z·W3 (1000×20·20×400)', 1000, 20, 400, false, false],
  ['decode: h·W4 (1000×400·400×784)', 1000, 400, 784, false, false],
];

function productGflops(m, k, n, transposeA, transposeB) {
  const a = tf.randomUniform(transposeA ? [k, m] : [m, k], -1, 1);
  const b = tf.randomUniform(transposeB ? [n, k] : [k, n], -1, 1);
  const bias = tf.randomUniform([n], -1, 1);
  const run = () => tf.fused.matMul({ a, b, transposeA, transposeB, bias });
  // Warm for a while, not a few calls: the helper threads start with the first shared product
  // and take about 100 ms to come up, and until then the calling thread does every unit.
  for (let i = 0, t0 = performance.now(); i < 5 || performance.now() - t0 < 400; i++) run().dispose();
  const [times, cpu] = [[], []];
  for (let r = 0; r < REPS; r++) {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    run().dispose();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  tf.dispose([a, b, bias]);
  // The fastest run, like the peak (a loaded machine slows runs, never speeds them), and the median.
  const best = Math.min(...times);
  // On one thread, CPU time is what the product cost when it ran (a product longer than a
  // scheduler slice is preempted in every run of a loaded machine).
  return { best, median: median(times), gflops: (2 * m * n * k) / (best * 1e6), cpuGflops: (2 * m * n * k) / (median(cpu) * 1e6) };
}

const peak = measurePeak();
console.log(JSON.stringify({ name: 'peak 128-bit wasm SIMD multiply-add, one core', gflops: +peak.toFixed(1), fma, reps: REPS }));
for (const threads of THREADS > 1 ? [1, THREADS] : [1]) {
  setComputeThreads(threads);
  for (const [label, m, k, n, tA, tB] of PRODUCTS) {
    const { best, median: med, gflops, cpuGflops } = productGflops(m, k, n, tA, tB);
    const oneThread = threads === 1 ? { cpu_time_gflops: +cpuGflops.toFixed(1), cpu_time_share_of_peak: +(cpuGflops / peak).toFixed(2) } : {};
    console.log(JSON.stringify({ name: label, threads, best_ms: +best.toFixed(3), median_ms: +med.toFixed(3), gflops: +gflops.toFixed(1), share_of_peak: +(gflops / (threads * peak)).toFixed(2), ...oneThread }));
  }
}
setComputeThreads(undefined);
process.exit(0);
