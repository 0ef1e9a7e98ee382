/**
 * latentkit's wasm convolutions on its SIMD product (Conv2D, FusedConv2D,
 * and Conv2DBackpropInput / Conv2DBackpropFilter as they run in training)
 * against the cpu backend: values and gradients on shapes that hit every
 * edge (odd sizes, batch 1, strides 1, 2 and mixed, same / valid /
 * explicit padding, 1×1 filters, K and channel counts off the 4- and
 * 8-wide panels), the fallbacks, the chunked path, the threaded product's
 * bits and the backend's data ids (no leaks).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers gradient functions
import { installLatentkitWasmKernels } from './register.js';
import { conv2DTuning } from './Conv2D.js';
import { conv2DBackpropInputTuning } from './Conv2DBackpropInput.js';
import { conv2DBackpropFilterTuning } from './Conv2DBackpropFilter.js';
import { installComputeThreads, setComputeThreads } from '../../../node/backend/threads.js';
import { enableRelaxedSimd } from '../../../node/backend/index.js';
import { seeded, size } from './kernels.test-helpers.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const CASES: Case[] = [
  { name: 'stride 1 same, odd sizes', x: [2, 7, 5, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { name: 'stride 1 valid', x: [3, 6, 7, 2], filter: [3, 3, 2, 4], strides: 1, pad: 'valid' },
  { name: 'stride 2 same, odd sizes', x: [2, 9, 7, 3], filter: [3, 3, 3, 9], strides: 2, pad: 'same' },
  { name: 'stride 2 valid, odd sizes', x: [2, 9, 11, 2], filter: [3, 3, 2, 6], strides: 2, pad: 'valid' },
  { name: 'batch 1, stride 2 same, one input channel', x: [1, 28, 28, 1], filter: [3, 3, 1, 32], strides: 2, pad: 'same' },
  { name: 'strides [1, 2], 5×3 filter', x: [2, 8, 9, 2], filter: [5, 3, 2, 3], strides: [1, 2], pad: 'same' },
  { name: 'stride 3, 2×2 filter', x: [2, 10, 11, 4], filter: [2, 2, 4, 7], strides: 3, pad: 'same' },
  { name: '1×1 filter, stride 1 (x is the patch matrix)', x: [2, 5, 6, 7], filter: [1, 1, 7, 10], strides: 1, pad: 'valid' },
  { name: 'explicit padding', x: [2, 7, 6, 2], filter: [3, 3, 2, 3], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: 'filter as large as the input', x: [3, 4, 4, 2], filter: [4, 4, 2, 3], strides: 1, pad: 'valid' },
  { name: 'conv VAE layer 2 shape', x: [4, 14, 14, 32], filter: [3, 3, 32, 64], strides: 2, pad: 'same' },
];

/** Largest |x − y| relative to the largest |y|. */
function relErr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let diff = 0;
  let scale = 1e-30;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return diff / scale;
}

/** The values of what `fn` returns on `backend` (tensors disposed). */
async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  const values = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outs);
  return values;
}

async function bothMatch(fn: () => tf.Tensor[], tolerance = 1e-5): Promise<Float32Array[]> {
  const wasm = await on('wasm', fn);
  const cpu = await on('cpu', fn);
  wasm.forEach((w, i) => expect(relErr(w, cpu[i]!)).toBeLessThan(tolerance));
  return wasm;
}

function inputs(c: Case) {
  const x = tf.tensor(seeded(size(c.x), 1), c.x) as tf.Tensor4D;
  const w = tf.tensor(seeded(size(c.filter), 2), c.filter) as tf.Tensor4D;
  const b = tf.tensor(seeded(c.filter[3], 3), [c.filter[3]]) as tf.Tensor1D;
  return { x, w, b };
}

/** The forward convolution, fused with bias and `activation`. */
function forward(c: Case, activation: tf.fused.Activation): tf.Tensor[] {
  const { x, w, b } = inputs(c);
  return [tf.fused.conv2d({ x, filter: w, strides: c.strides, pad: c.pad, bias: b, activation, leakyreluAlpha: 0.3 })];
}

/** ∂/∂x, ∂/∂W, ∂/∂b of Σ (conv(x) + b)·r for a fixed random r: Conv2DBackpropInput, Conv2DBackpropFilter and the bias sum. */
function gradients(c: Case): tf.Tensor[] {
  const { x, w, b } = inputs(c);
  const y = tf.fused.conv2d({ x, filter: w, strides: c.strides, pad: c.pad, bias: b });
  const r = tf.tensor(seeded(y.size, 4), y.shape);
  const g = tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: c.strides, pad: c.pad, bias: b }), r)));
  return g([x, w, b]);
}

/** ∂/∂x and ∂/∂W of Σ convT(x)·r: the transposed convolution runs Conv2DBackpropInput forward and Conv2D, Conv2DBackpropFilter backward. */
function transposedGradients(c: Case): tf.Tensor[] {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad as 'same');
  const dy = tf.tensor(seeded(size(info.outShape), 5), info.outShape) as tf.Tensor4D;
  const w = tf.tensor(seeded(size(c.filter), 2), c.filter) as tf.Tensor4D;
  const r = tf.tensor(seeded(size(c.x), 6), c.x);
  const f = (d: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.conv2dTranspose(d as tf.Tensor4D, w as tf.Tensor4D, c.x, c.strides, c.pad as 'same'), r));
  return [tf.conv2dTranspose(dy, w, c.x, c.strides, c.pad as 'same'), ...tf.grads(f)([dy, w])];
}

/** Backend data ids before and after `fn`, which must leave none behind. */
async function expectNoLeaks(fn: () => Promise<unknown>): Promise<void> {
  await tf.setBackend('wasm');
  const before = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
  await fn();
  await tf.setBackend('wasm');
  expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual(before);
}

beforeAll(async () => {
  tf.env().set('PROD', true);
  enableRelaxedSimd({});
  await tf.setBackend('wasm');
  await tf.ready();
  installLatentkitWasmKernels();
  installComputeThreads();
  setComputeThreads(1);
});

describe('Conv2D / FusedConv2D on the SIMD product', () => {
  it('replaces the wasm backend\'s kernels', () => {
    expect(tf.getKernel('Conv2D', 'wasm')).toBeDefined();
    expect(installLatentkitWasmKernels().replaced).not.toContain('Conv2D');
  });

  for (const c of CASES) {
    it(`${c.name}: linear, relu and leakyrelu epilogues match cpu`, async () => {
      for (const activation of ['linear', 'relu', 'leakyrelu'] as const) await bothMatch(() => forward(c, activation));
    });
  }

  it('activations the product does not apply (sigmoid) and dilations go to the backend\'s own kernel, still right; NCHW to its refusal', async () => {
    const c = CASES[2]!;
    await bothMatch(() => forward(c, 'sigmoid'));
    await bothMatch(() => [tf.conv2d(inputs(c).x, inputs(c).w, 1, 'same', 'NHWC', 2)]);
    await tf.setBackend('wasm');
    expect(() => tf.tidy(() => tf.conv2d(tf.tensor(seeded(2 * 3 * 9 * 7, 1), [2, 3, 9, 7]) as tf.Tensor4D, inputs(c).w, 2, 'same', 'NCHW'))).toThrow(/wasm backend Conv2D does not support dataFormat/);
  });

  it('a patch matrix cut into chunks of images gives the unchunked bits', async () => {
    const c = CASES[10]!;
    const [whole] = await on('wasm', () => forward(c, 'relu'));
    const saved = conv2DTuning.maxPatchElements;
    conv2DTuning.maxPatchElements = 2000; // one image's patches at a time
    try {
      const [chunked] = await on('wasm', () => forward(c, 'relu'));
      expect(Array.from(chunked!)).toEqual(Array.from(whole!));
    } finally {
      conv2DTuning.maxPatchElements = saved;
    }
  });
});

describe('gradients of conv2d and conv2dTranspose (Conv2DBackpropInput and Conv2DBackpropFilter on the product)', () => {
  for (const c of CASES.filter((c) => c.pad !== 'valid' || c.strides === 1 || c.name.includes('stride 2 valid'))) {
    it(`${c.name}: conv2d ∂x, ∂W, ∂b and conv2dTranspose y, ∂x, ∂W match cpu`, async () => {
      await bothMatch(() => gradients(c), 2e-5);
      if (!Array.isArray(c.pad)) await bothMatch(() => transposedGradients(c), 2e-5);
    });
  }

  it('chunked column and patch matrices match cpu', async () => {
    const saved = [conv2DBackpropInputTuning.maxColumnElements, conv2DBackpropFilterTuning.maxPatchElements];
    conv2DBackpropInputTuning.maxColumnElements = 500;
    conv2DBackpropFilterTuning.maxPatchElements = 500;
    try {
      await bothMatch(() => gradients(CASES[2]!), 2e-5);
    } finally {
      [conv2DBackpropInputTuning.maxColumnElements, conv2DBackpropFilterTuning.maxPatchElements] = saved;
    }
  });
});

describe('no leaks', () => {
  it('forward, fallbacks and gradients leave no tensor and no backend data behind', async () => {
    await expectNoLeaks(async () => {
      for (const c of CASES.slice(0, 4)) {
        await on('wasm', () => forward(c, 'relu'));
        await on('wasm', () => forward(c, 'sigmoid'));
        await on('wasm', () => gradients(c));
        await on('wasm', () => transposedGradients(c));
      }
    });
  });
});

describe('threads (setComputeThreads(2))', () => {
  afterEach(() => setComputeThreads(1));
  // Products large enough to be shared out: the conv VAE's second layer at batch 8.
  const big: Case = { name: 'conv VAE layer 2, batch 8', x: [8, 14, 14, 32], filter: [3, 3, 32, 64], strides: 2, pad: 'same' };

  // Shared image group by image group (the patches made on every thread): odd sizes, strides, paddings, 5×3 filters.
  const more: Case[] = [
    { name: 'stride 1 same, odd sizes, batch 10', x: [10, 15, 13, 8], filter: [3, 3, 8, 32], strides: 1, pad: 'same' },
    { name: 'strides [2, 1] valid, 5×3 filter, batch 40', x: [40, 17, 9, 4], filter: [5, 3, 4, 20], strides: [2, 1], pad: 'valid' },
    { name: 'stride 2 same, three input channels, batch 3', x: [3, 64, 64, 3], filter: [3, 3, 3, 32], strides: 2, pad: 'same' },
  ];
  for (const c of [big, ...more]) {
    it(`${c.name}: forward and both gradients give the bits of one thread, and match cpu`, async () => {
      const run = () => [...forward(c, 'relu'), ...gradients(c), ...transposedGradients(c)];
      setComputeThreads(1);
      const alone = await on('wasm', run);
      setComputeThreads(2);
      const shared = await on('wasm', run);
      shared.forEach((s, i) => expect(Array.from(s), `output ${i}`).toEqual(Array.from(alone[i]!)));
      await bothMatch(() => [...forward(c, 'leakyrelu'), ...gradients(c), ...transposedGradients(c)], 2e-5);
    });
  }
});
