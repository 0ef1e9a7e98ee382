#!/usr/bin/env node
// im2col and col2im of one training step of a conv VAE: the JavaScript loops against
// the WebAssembly SIMD functions, on the geometries the step's convolutions really use.
//
//   node bench/im2col.js [--faces | --conv] [--reps N] [--cpu]
//
// --faces (default) records the convolutions of one step of the 64×64×3 VAE of
// bench/profile.js --faces (batch 32), --conv those of the 28×28×1 one (batch 128).
// Each Conv2D / FusedConv2D / Conv2DBackpropFilter call costs one im2col of its input,
// each Conv2DBackpropInput one col2im of its columns (rows padded to a multiple of 4,
// as that kernel lays them out); both are then timed alone, N times (default 10), on a
// memory of their own. One JSON line: ms per step for each, and the calls. --cpu
// measures process CPU time instead of wall time (steadier on a loaded machine).
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, getModelDefinition, Rng } from '../dist/index.js';
import { fillPatches, scatterColumns } from '../dist/core/backend/kernels/conv_util.js';
import { geometryArgs, simdIm2colFor } from '../dist/core/backend/kernels/simd_im2col.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const REPS = option('reps', 10);
const setup = args.includes('--conv')
  ? { name: 'conv vae 28×28×1 32,64 batch 128', config: { arch: 'conv' }, shape: [28, 28, 1], batch: 128 }
  : { name: 'conv vae 64×64×3 32,64,64,64 latent 200 batch 32', config: { arch: 'conv', convFilters: [32, 64, 64, 64], latent: 200 }, shape: [64, 64, 3], batch: 32 };
const now = args.includes('--cpu')
  ? () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    }
  : () => performance.now();

await initBackend('wasm');

/** Conv2DInfo of each convolution kernel call of one training step, with what it costs: 'im2col' or 'col2im'. */
function recordStep() {
  const calls = [];
  const wrapped = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'].map((name) => {
    const kernel = tf.getKernel(name, 'wasm');
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...kernel,
      kernelFunc: (a) => {
        const { strides, pad, dimRoundingMode } = a.attrs;
        const xShape = name === 'Conv2DBackpropInput' ? a.attrs.inputShape : a.inputs.x.shape;
        const filterShape = name === 'Conv2DBackpropFilter' ? a.attrs.filterShape : a.inputs.filter.shape;
        const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
        // Conv2D skips im2col where the patches are x itself (1×1 filter, stride 1, no padding).
        const direct = info.filterHeight * info.filterWidth * info.strideHeight * info.strideWidth === 1 && info.padInfo.top + info.padInfo.left === 0;
        if (!(direct && name.endsWith('Conv2D'))) calls.push({ kind: name === 'Conv2DBackpropInput' ? 'col2im' : 'im2col', info });
        return kernel.kernelFunc(a);
      },
    });
    return kernel;
  });
  const def = getModelDefinition('vae');
  const model = def.create(def.resolveConfig(setup.config, { shape: setup.shape, numClasses: 10 }), new Rng(0));
  const features = setup.shape[0] * setup.shape[1] * setup.shape[2];
  const batch = { x: tf.randomUniform([setup.batch, features]), labels: tf.zeros([setup.batch], 'int32') };
  const loss = tf.train.sgd(1e-3).minimize(() => model.forward(batch, { training: true, epoch: 1, rng: new Rng(1) }).loss, true, model.trainableVariables());
  loss.dispose();
  for (const kernel of wrapped) {
    tf.unregisterKernel(kernel.kernelName, 'wasm');
    tf.registerKernel(kernel);
  }
  return calls;
}

/** ms of `reps` runs of one call's layout change, by the JS loop and by the SIMD function. */
function timeCall({ kind, info }, memory, simd) {
  const { batchSize: nb, inHeight: inH, inWidth: inW, inChannels: inC, outHeight: outH, outWidth: outW, filterHeight: fH, filterWidth: fW } = info;
  const K = fH * fW * inC;
  const rowStride = kind === 'col2im' ? 4 * Math.ceil(K / 4) : K;
  const imageFloats = nb * inH * inW * inC;
  const patchFloats = nb * outH * outW * rowStride;
  const bytes = 4 * (imageFloats + patchFloats) + 64;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  const heap = new Float32Array(memory.buffer);
  for (let i = 0; i < imageFloats + patchFloats; i++) heap[i] = Math.random() - 0.5;
  const [images, patches] = [0, imageFloats];
  const geometry = geometryArgs(info, nb, rowStride);
  const ways = kind === 'im2col'
    ? { js: () => fillPatches(heap, images, patches, 0, nb, info, rowStride), simd: () => simd.im2col(4 * images, 4 * patches, ...geometry) }
    : { js: () => scatterColumns(heap.subarray(patches), heap.subarray(images, patches), nb, info, rowStride), simd: () => simd.col2im(4 * patches, 4 * images, ...geometry) };
  const ms = {};
  for (const [way, run] of Object.entries(ways)) {
    run(); // warm-up
    const t0 = now();
    for (let r = 0; r < REPS; r++) run();
    ms[way] = (now() - t0) / REPS;
  }
  return ms;
}

const calls = recordStep();
const memory = new WebAssembly.Memory({ initial: 1 });
const simd = simdIm2colFor(memory);
if (simd == null) throw new Error('this engine has no WebAssembly SIMD');
const totals = { im2col: { calls: 0, js: 0, simd: 0 }, col2im: { calls: 0, js: 0, simd: 0 } };
for (const call of calls) {
  const ms = timeCall(call, memory, simd);
  const t = totals[call.kind];
  t.calls++;
  t.js += ms.js;
  t.simd += ms.simd;
}
const round = (x) => +x.toFixed(2);
console.log(JSON.stringify({
  name: `im2col and col2im per training step, ${setup.name}`,
  clock: args.includes('--cpu') ? 'cpu' : 'wall',
  reps: REPS,
  ...Object.fromEntries(Object.entries(totals).map(([kind, t]) => [kind, { calls: t.calls, js_ms: round(t.js), simd_ms: round(t.simd) }])),
  total_js_ms: round(totals.im2col.js + totals.col2im.js),
  total_simd_ms: round(totals.im2col.simd + totals.col2im.simd),
}));
