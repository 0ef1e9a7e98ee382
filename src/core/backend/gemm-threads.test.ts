/**
 * The platform-independent threaded product: with Node's helpers (worker
 * threads running the helper loop's source) the helpers do take panels and
 * the result has one thread's bits; with helpers that never start (a
 * platform whose workers fail to load) the calling thread does every panel
 * and the result is the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { installLatentkitWasmKernels } from './kernels/register.js';
import { enableRelaxedSimd } from '../../node/backend/index.js';
import { helperPanels, installComputeThreads, setComputeThreads } from '../../node/backend/threads.js';
import { SharedProducts, threadSettings } from './gemm-threads.js';
import { setParallelGemm } from './kernels/MatMul.js';
import { bceWithLogitsKernel } from './kernels/BceWithLogits.js';
import { seeded } from './kernels/kernels.test-helpers.js';

beforeAll(async () => {
  enableRelaxedSimd({});
  await tf.setBackend('wasm');
  await tf.ready();
  installLatentkitWasmKernels();
});

afterAll(() => {
  setComputeThreads(1);
  setParallelGemm(null);
});

type Kind = 'panels' | 'row blocks' | 'convolution' | 'transposed convolution' | 'filter gradient' | 'BCE rows' | 'BCE rows, repeated targets';

/**
 * Operands and the product under test: a 128×784·784×400 product (the
 * running example's first layer), shared by column panels; a
 * 2,048×288·288×64 one (a convolution's patches times its filter), by row
 * blocks; the conv VAE's second convolution, its transpose and its filter
 * gradient at batch 8, image group by image group (im2col, col2im, and
 * partial filter gradients, on every thread); the rows of a binary
 * cross-entropy, one row of logits per target row (a training batch) or
 * 100 (an importance-weighted bound's samples, 787 columns: the last 3
 * are the calling thread's).
 */
function operands(kind: Kind = 'panels', seed = 0) {
  if (kind === 'BCE rows' || kind === 'BCE rows, repeated targets') {
    const [rows, cols, repeat] = kind === 'BCE rows' ? [128, 784, 1] : [800, 787, 100];
    const logits = tf.tensor2d(seeded(rows * cols, seed + 1).map((v) => 8 * v), [rows, cols]);
    const targets = tf.tensor2d(seeded((rows / repeat) * cols, seed + 2).map((v) => Math.abs(v)), [rows / repeat, cols]);
    return { inputs: [logits, targets], product: () => tf.tidy(() => bceWithLogitsKernel(logits, targets, repeat).dataSync() as Float32Array) };
  }
  if (kind === 'convolution' || kind === 'transposed convolution' || kind === 'filter gradient') {
    const x = tf.tensor4d(seeded(8 * 14 * 14 * 32, seed + 1), [8, 14, 14, 32]);
    const w = tf.tensor4d(seeded(3 * 3 * 32 * 64, seed + 2), [3, 3, 32, 64]);
    const dy = tf.tensor4d(seeded(8 * 7 * 7 * 64, seed + 3), [8, 7, 7, 64]);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 32, 64] };
    const run = {
      convolution: () => tf.conv2d(x, w, 2, 'same'),
      'transposed convolution': () => tf.conv2dTranspose(dy, w, [8, 14, 14, 32], 2, 'same'),
      'filter gradient': () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
    }[kind];
    return { inputs: [x, w, dy], product: () => tf.tidy(() => run().dataSync() as Float32Array) };
  }
  const [m, k, n] = kind === 'row blocks' ? [2048, 288, 64] : [128, 784, 400];
  const a = tf.tensor2d(seeded(m * k, seed + 1), [m, k]);
  const b = tf.tensor2d(seeded(k * n, seed + 2), [k, n]);
  return { inputs: [a, b], product: () => tf.tidy(() => tf.matMul(a, b).dataSync() as Float32Array) };
}

describe('products shared across helper threads', () => {
  it.each<Kind>(['panels', 'row blocks', 'convolution', 'transposed convolution', 'filter gradient', 'BCE rows', 'BCE rows, repeated targets'])("Node's helpers take units (%s), and every product has one thread's bits", async (kind) => {
    const before = tf.memory().numTensors;
    const { inputs, product } = operands(kind);
    // Another product of the same shapes between two of these, so that the shared memory
    // never still holds this one's operands: a part of them not copied in would show.
    const other = operands(kind, 10);
    installComputeThreads();
    setComputeThreads(1);
    const alone = product();
    setComputeThreads(2);
    const start = helperPanels();
    // The helpers start asynchronously: products until they have taken some units (at most 20 s).
    const deadline = Date.now() + 20_000;
    let products = 0;
    while (helperPanels() === start && Date.now() < deadline) {
      other.product();
      expect(product()).toEqual(alone);
      products++;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(helperPanels()).toBeGreaterThan(start);
    for (const stream of [true, false, true]) {
      threadSettings.stream = stream;
      other.product();
      expect(product(), `operands streamed in: ${stream}`).toEqual(alone);
    }
    expect(products).toBeGreaterThan(0);
    tf.dispose([...inputs, ...other.inputs]);
    expect(tf.memory().numTensors).toBe(before);
  }, 30_000);

  it('helpers that never start leave every panel to the calling thread, with the same bits', () => {
    const { inputs, product } = operands();
    setParallelGemm(null);
    const alone = product();
    let spawned = 0;
    const silent = new SharedProducts(() => 3, () => (spawned++, { terminate: () => undefined }));
    silent.install();
    expect(product()).toEqual(alone);
    expect(spawned).toBe(2);
    expect(silent.helperPanels).toBe(0);
    setParallelGemm(null);
    tf.dispose(inputs);
  });
});
