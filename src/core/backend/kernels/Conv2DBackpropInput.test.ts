/**
 * The opt-in fast Conv2DBackpropInput (registerWasmKernels({replaceConv2DBackpropInput: true})).
 * Vitest runs each test file in its own process, so the replacement made here
 * does not leak into other test files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers gradient functions
import { conv2DBackpropInputTuning } from './Conv2DBackpropInput.js';
import { conv2DBackpropInputConfig, registerWasmKernels } from './register.js';
import { seeded, size } from './kernels.test-helpers.js';

type Backend = 'cpu' | 'wasm';
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface InputCase {
  name: string;
  inputShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}

async function on(backend: Backend, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  const values = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outs);
  return values;
}

function attrsOf(c: InputCase) {
  return {
    inputShape: c.inputShape,
    strides: c.strides,
    pad: c.pad,
    dataFormat: c.dataFormat ?? 'NHWC',
    dimRoundingMode: c.dimRoundingMode,
  };
}

function dyShapeOf(c: InputCase): number[] {
  return tf.backend_util.computeConv2DInfo(
    c.inputShape,
    c.filterShape,
    c.strides,
    1,
    c.pad,
    c.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(c.dataFormat ?? 'NHWC'),
  ).outShape;
}

const cases: InputCase[] = [
  { name: 'stride 1 same', inputShape: [2, 5, 5, 3], filterShape: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: 'stride 1 valid', inputShape: [2, 6, 5, 3], filterShape: [3, 3, 3, 2], strides: 1, pad: 'valid' },
  { name: 'stride 2 same, odd size', inputShape: [3, 7, 9, 2], filterShape: [3, 3, 2, 5], strides: 2, pad: 'same' },
  { name: 'stride 2 valid, odd size', inputShape: [2, 9, 7, 3], filterShape: [3, 3, 3, 2], strides: 2, pad: 'valid' },
  { name: 'stride [1,2], 5x3 filter', inputShape: [2, 8, 7, 1], filterShape: [5, 3, 1, 3], strides: [1, 2], pad: 'same' },
  { name: 'stride 3, 2x2 filter', inputShape: [2, 10, 11, 4], filterShape: [2, 2, 4, 3], strides: 3, pad: 'same' },
  { name: '1x1 filter', inputShape: [2, 4, 4, 5], filterShape: [1, 1, 5, 6], strides: 1, pad: 'valid' },
  {
    name: 'explicit pads, stride [2,1]',
    inputShape: [2, 7, 6, 2],
    filterShape: [3, 3, 2, 3],
    strides: [2, 1],
    pad: [[0, 0], [1, 2], [0, 1], [0, 0]],
  },
  { name: 'numeric pad 1, ceil', inputShape: [2, 8, 8, 2], filterShape: [3, 3, 2, 2], strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  { name: 'NCHW stride 2 same', inputShape: [2, 3, 7, 6], filterShape: [3, 3, 3, 4], strides: 2, pad: 'same', dataFormat: 'NCHW' },
  { name: 'MNIST convT 64->32: [8,7,7,64] -> [8,14,14,32]', inputShape: [8, 14, 14, 32], filterShape: [3, 3, 32, 64], strides: 2, pad: 'same' },
  { name: 'MNIST convT 32->1: [8,14,14,32] -> [8,28,28,1]', inputShape: [8, 28, 28, 1], filterShape: [3, 3, 1, 32], strides: 2, pad: 'same' },
];

let originalWasmKernel: tf.KernelConfig | undefined;

beforeAll(async () => {
  tf.env().set('PROD', true);
  // Initialise wasm first: the backend runs kernels' setupFuncs at init, and
  // the stock kernel (kept here for comparison) needs its setup to have run.
  // This also exercises registering after the backend is up.
  expect(await tf.setBackend('wasm')).toBe(true);
  originalWasmKernel = tf.getKernel('Conv2DBackpropInput', 'wasm');
  expect(originalWasmKernel).toBeDefined();
  const report = registerWasmKernels({ replaceConv2DBackpropInput: true });
  expect(report.replaced).toEqual(['Conv2DBackpropInput']);
  expect(report.registered).toEqual(['Conv2DBackpropFilter']);
});

describe('registerWasmKernels({replaceConv2DBackpropInput: true})', () => {
  it('installs the replacement once (idempotent)', () => {
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(conv2DBackpropInputConfig.kernelFunc);
    const again = registerWasmKernels({ replaceConv2DBackpropInput: true });
    expect(again.replaced).toEqual([]);
    expect(again.registered).toEqual([]);
    expect(again.skipped).toEqual(['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
  });
});

describe('fast Conv2DBackpropInput on wasm matches cpu and the stock wasm kernel', () => {
  async function compare(c: InputCase) {
    const dyShape = dyShapeOf(c);
    const dyVals = seeded(size(dyShape), 1);
    const wVals = seeded(size(c.filterShape), 2);
    const attrs = attrsOf(c) as unknown as tf.NamedAttrMap;
    const run = () => [
      tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dyVals, dyShape), filter: tf.tensor(wVals, c.filterShape) }, attrs) as tf.Tensor,
    ];
    const [ours] = await on('wasm', run);
    const [cpu] = await on('cpu', run);
    expect(ours!.length).toBe(size(c.inputShape));
    expect(relErr(ours!, cpu!)).toBeLessThan(1e-4);
    if ((c.dataFormat ?? 'NHWC') === 'NHWC') {
      // The stock wasm kernel, called directly (it is no longer registered here).
      await tf.setBackend('wasm');
      const backend = tf.backend();
      const dy = tf.tensor(dyVals, dyShape);
      const filter = tf.tensor(wVals, c.filterShape);
      const info = originalWasmKernel!.kernelFunc({ inputs: { dy, filter }, backend, attrs }) as tf.TensorInfo;
      const stock = backend.readSync(info.dataId) as Float32Array;
      backend.disposeData(info.dataId);
      tf.dispose([dy, filter]);
      expect(relErr(ours!, stock)).toBeLessThan(1e-4);
    }
  }

  for (const c of cases) it(c.name, () => compare(c));

  it('chunked path matches', async () => {
    const saved = conv2DBackpropInputTuning.maxColumnElements;
    conv2DBackpropInputTuning.maxColumnElements = 1;
    try {
      for (const c of [cases[2]!, cases[9]!, cases[10]!]) await compare(c);
    } finally {
      conv2DBackpropInputTuning.maxColumnElements = saved;
    }
  });

  it('conv2d + conv2dTranspose model gradients on wasm match cpu', async () => {
    const shapes = { w1: [3, 3, 2, 8], w2: [3, 3, 8, 6], w3: [3, 3, 8, 6], w4: [3, 3, 2, 8] } as const;
    const names = Object.keys(shapes) as (keyof typeof shapes)[];
    const init = Object.fromEntries(names.map((k, i) => [k, seeded(size(shapes[k]), 10 + i).map((v) => v * 0.5)]));
    const xVals = seeded(4 * 12 * 12 * 2, 3).map((v) => (v + 1) / 2);
    const grads = async (backend: Backend) => {
      await tf.setBackend(backend);
      const vars = Object.fromEntries(names.map((k) => [k, tf.variable(tf.tensor(init[k]!, [...shapes[k]]), true, `${k}_${backend}`)])) as Record<
        keyof typeof shapes,
        tf.Variable
      >;
      const out = await on(backend, () => {
        const x = tf.tensor4d(xVals, [4, 12, 12, 2]);
        const { value, grads: g } = tf.variableGrads(() => {
          let h = tf.relu(tf.conv2d(x, vars.w1 as tf.Tensor4D, 2, 'same'));
          h = tf.relu(tf.conv2d(h as tf.Tensor4D, vars.w2 as tf.Tensor4D, 1, 'valid'));
          h = tf.relu(tf.conv2dTranspose(h as tf.Tensor4D, vars.w3 as tf.Tensor4D, [4, 6, 6, 8], 1, 'valid'));
          const y = tf.sigmoid(tf.conv2dTranspose(h as tf.Tensor4D, vars.w4 as tf.Tensor4D, [4, 12, 12, 2], 2, 'same'));
          return tf.mean(tf.square(tf.sub(y, x))) as tf.Scalar;
        }, names.map((k) => vars[k]));
        return [value, ...names.map((k) => g[vars[k].name]!)];
      });
      tf.dispose(Object.values(vars));
      return out;
    };
    const wasm = await grads('wasm');
    const cpu = await grads('cpu');
    for (let i = 0; i < wasm.length; i++) expect(relErr(wasm[i]!, cpu[i]!)).toBeLessThan(1e-4);
  });

  it('rejects dilations other than 1', async () => {
    await tf.setBackend('wasm');
    const dy = tf.zeros([1, 5, 5, 2]);
    const filter = tf.zeros([3, 3, 1, 2]);
    const attrs = { inputShape: [1, 5, 5, 1], strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: [2, 2] };
    expect(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as unknown as tf.NamedAttrMap)).toThrow(
      /dilations other than 1 are not supported/,
    );
    tf.dispose([dy, filter]);
  });

  it('leaves no tensors or wasm data buffers behind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const c = cases[2]!;
    const cN = cases[9]!;
    const dy = tf.tensor(seeded(size(dyShapeOf(c)), 1), dyShapeOf(c));
    const w = tf.tensor(seeded(size(c.filterShape), 2), c.filterShape);
    const dyN = tf.tensor(seeded(size(dyShapeOf(cN)), 1), dyShapeOf(cN));
    const wN = tf.tensor(seeded(size(cN.filterShape), 2), cN.filterShape);
    const step = () => {
      (tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrsOf(c) as unknown as tf.NamedAttrMap) as tf.Tensor).dispose();
      (tf.engine().runKernel('Conv2DBackpropInput', { dy: dyN, filter: wN }, attrsOf(cN) as unknown as tf.NamedAttrMap) as tf.Tensor).dispose();
    };
    step();
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    step();
    const saved = conv2DBackpropInputTuning.maxColumnElements;
    conv2DBackpropInputTuning.maxColumnElements = 1;
    try {
      step();
    } finally {
      conv2DBackpropInputTuning.maxColumnElements = saved;
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
    tf.dispose([dy, w, dyN, wN]);
  });
});
