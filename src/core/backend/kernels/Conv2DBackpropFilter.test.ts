import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core alone registers no gradient functions; tfjs-layers registers them all.
import * as tfl from '@tensorflow/tfjs-layers';
import { conv2DBackpropFilterTuning } from './Conv2DBackpropFilter.js';
import { registerWasmKernels } from './register.js';
import { seeded, size } from './kernels.test-helpers.js';

type Backend = 'cpu' | 'wasm';
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface FilterCase {
  name: string;
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  xDtype?: 'float32' | 'int32';
}

/** Deterministic uniform values in [-1, 1). */
/** max |a - b| / max |b|: relative error of `a` against the reference `b`. */
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

/** Run `fn` on `backend`, return copies of the resulting tensors' values. */
async function on(backend: Backend, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  const values = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outs);
  return values;
}

function dyShapeOf(c: FilterCase): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    c.xShape,
    c.filterShape,
    c.strides,
    1,
    c.pad,
    c.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(c.dataFormat ?? 'NHWC'),
  );
  return info.outShape;
}

function backpropFilter(x: tf.Tensor, dy: tf.Tensor, c: FilterCase): tf.Tensor {
  const attrs = {
    strides: c.strides,
    pad: c.pad,
    dataFormat: c.dataFormat ?? 'NHWC',
    dimRoundingMode: c.dimRoundingMode,
    filterShape: c.filterShape,
  };
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

async function filterOnBoth(c: FilterCase): Promise<{ wasm: Float32Array; cpu: Float32Array }> {
  const dyShape = dyShapeOf(c);
  const xVals = seeded(size(c.xShape), 1);
  const xData = c.xDtype === 'int32' ? Int32Array.from(xVals, (v) => Math.round(v * 5)) : xVals;
  const dyVals = seeded(size(dyShape), 2);
  const run = () => [backpropFilter(tf.tensor(xData, c.xShape, c.xDtype ?? 'float32'), tf.tensor(dyVals, dyShape), c)];
  const [wasm] = await on('wasm', run);
  const [cpu] = await on('cpu', run);
  return { wasm: wasm!, cpu: cpu! };
}

const cases: FilterCase[] = [
  { name: 'stride 1 same, 3x3, batch 2', xShape: [2, 5, 5, 3], filterShape: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: 'stride 1 valid, 3x3', xShape: [2, 6, 5, 3], filterShape: [3, 3, 3, 2], strides: 1, pad: 'valid' },
  { name: 'stride 2 same, odd size', xShape: [3, 7, 9, 2], filterShape: [3, 3, 2, 5], strides: 2, pad: 'same' },
  { name: 'stride 2 valid, odd size', xShape: [2, 9, 7, 3], filterShape: [3, 3, 3, 2], strides: 2, pad: 'valid' },
  { name: 'stride [1,2], 5x3 filter, same', xShape: [2, 8, 7, 1], filterShape: [5, 3, 1, 3], strides: [1, 2], pad: 'same' },
  { name: 'stride 3 same, 2x2 filter', xShape: [2, 10, 11, 4], filterShape: [2, 2, 4, 3], strides: 3, pad: 'same' },
  { name: '1x1 filter', xShape: [2, 4, 4, 5], filterShape: [1, 1, 5, 6], strides: 1, pad: 'valid' },
  { name: 'filter as large as input', xShape: [3, 4, 4, 2], filterShape: [4, 4, 2, 3], strides: 1, pad: 'valid' },
  {
    name: 'explicit pads, stride [2,1]',
    xShape: [2, 7, 6, 2],
    filterShape: [3, 3, 2, 3],
    strides: [2, 1],
    pad: [[0, 0], [1, 2], [0, 1], [0, 0]],
  },
  { name: 'numeric pad 1, stride 2, floor', xShape: [2, 8, 8, 2], filterShape: [3, 3, 2, 2], strides: 2, pad: 1, dimRoundingMode: 'floor' },
  { name: 'numeric pad 1, stride 2, ceil', xShape: [2, 8, 8, 2], filterShape: [3, 3, 2, 2], strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  { name: 'NCHW, stride 2 same', xShape: [2, 3, 7, 6], filterShape: [3, 3, 3, 4], strides: 2, pad: 'same', dataFormat: 'NCHW' },
  { name: 'int32 x', xShape: [2, 5, 5, 2], filterShape: [3, 3, 2, 3], strides: 2, pad: 'same', xDtype: 'int32' },
  { name: 'MNIST layer 1: [8,28,28,1] -> [3,3,1,32]', xShape: [8, 28, 28, 1], filterShape: [3, 3, 1, 32], strides: 2, pad: 'same' },
  { name: 'MNIST layer 2: [4,14,14,32] -> [3,3,32,64]', xShape: [4, 14, 14, 32], filterShape: [3, 3, 32, 64], strides: 2, pad: 'same' },
];

beforeAll(async () => {
  tf.env().set('PROD', true); // silences the cpu backend's tfjs-node banner
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('registerWasmKernels', () => {
  it('registers Conv2DBackpropFilter for wasm, and is idempotent', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    const again = registerWasmKernels();
    expect(again.registered).toEqual([]);
    expect(again.skipped).toContain('Conv2DBackpropFilter');
  });
});

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { wasm, cpu } = await filterOnBoth(c);
      expect(wasm.length).toBe(size(c.filterShape));
      expect(relErr(wasm, cpu)).toBeLessThan(1e-4);
    });
  }

  it('chunked path (patch budget forces one image per chunk) matches cpu', async () => {
    const saved = conv2DBackpropFilterTuning.maxPatchElements;
    conv2DBackpropFilterTuning.maxPatchElements = 1;
    try {
      for (const c of [cases[2]!, cases[9]!, cases[11]!]) {
        const { wasm, cpu } = await filterOnBoth(c);
        expect(relErr(wasm, cpu)).toBeLessThan(1e-4);
      }
    } finally {
      conv2DBackpropFilterTuning.maxPatchElements = saved;
    }
  });

  it('empty batch gives a zero filter gradient', async () => {
    const c: FilterCase = { name: 'empty', xShape: [0, 5, 5, 2], filterShape: [3, 3, 2, 3], strides: 1, pad: 'same' };
    const { wasm } = await filterOnBoth(c);
    expect(Array.from(wasm)).toEqual(new Array(size(c.filterShape)).fill(0));
  });

  it('rejects dilations other than 1 and a mismatched dy with clear errors', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 5, 5, 1]);
    const dy = tf.zeros([1, 5, 5, 2]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 2] };
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, dilations: 2 } as unknown as tf.NamedAttrMap),
    ).toThrow(/dilations other than 1 are not supported/);
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, strides: 2 } as unknown as tf.NamedAttrMap),
    ).toThrow(/does not match the convolution output shape/);
    tf.dispose([x, dy]);
  });
});

describe('gradients through conv2d + conv2dTranspose on wasm', () => {
  it('tf.variableGrads of a small conv / transposed-conv autoencoder match cpu', async () => {
    const shapes = {
      w1: [3, 3, 2, 8], b1: [8], // conv2d 2 -> 8, stride 2 same
      w2: [3, 3, 8, 6], b2: [6], // conv2d 8 -> 6, stride 1 valid
      w3: [3, 3, 8, 6], b3: [8], // conv2dTranspose 6 -> 8, stride 1 valid
      w4: [3, 3, 2, 8], b4: [2], // conv2dTranspose 8 -> 2, stride 2 same
    } as const;
    const init = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, seeded(size(s), 10 + i).map((v) => v * 0.5)]));
    const xVals = seeded(4 * 12 * 12 * 2, 3).map((v) => (v + 1) / 2);
    const names = Object.keys(shapes) as (keyof typeof shapes)[];

    const grads = async (backend: Backend) => {
      await tf.setBackend(backend);
      const vars = Object.fromEntries(
        names.map((k) => [k, tf.variable(tf.tensor(init[k]!, [...shapes[k]]), true, `${k}_${backend}`)]),
      ) as Record<keyof typeof shapes, tf.Variable>;
      const out = await on(backend, () => {
        const x = tf.tensor4d(xVals, [4, 12, 12, 2]);
        const { value, grads: g } = tf.variableGrads(() => {
          let h = tf.relu(tf.add(tf.conv2d(x, vars.w1 as tf.Tensor4D, 2, 'same'), vars.b1));
          h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, vars.w2 as tf.Tensor4D, 1, 'valid'), vars.b2));
          h = tf.relu(tf.add(tf.conv2dTranspose(h as tf.Tensor4D, vars.w3 as tf.Tensor4D, [4, 6, 6, 8], 1, 'valid'), vars.b3));
          const y = tf.sigmoid(tf.add(tf.conv2dTranspose(h as tf.Tensor4D, vars.w4 as tf.Tensor4D, [4, 12, 12, 2], 2, 'same'), vars.b4));
          return tf.mean(tf.square(tf.sub(y, x))) as tf.Scalar;
        }, names.map((k) => vars[k]));
        return [value, ...names.map((k) => g[vars[k].name]!)];
      });
      tf.dispose(Object.values(vars));
      return out;
    };

    const wasm = await grads('wasm');
    const cpu = await grads('cpu');
    expect(relErr(wasm[0]!, cpu[0]!)).toBeLessThan(1e-5);
    for (let i = 1; i < wasm.length; i++) {
      expect(wasm[i]!.length).toBe(size(shapes[names[i - 1]!]));
      expect(relErr(wasm[i]!, cpu[i]!), names[i - 1]).toBeLessThan(1e-4);
    }
  });

  it('tfjs-layers conv2d / conv2dTranspose MNIST autoencoder: gradients match cpu, and fit() runs on wasm', async () => {
    const build = () => {
      const input = tfl.input({ shape: [28, 28, 1] });
      let h = tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(input);
      h = tfl.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(h);
      h = tfl.layers.conv2dTranspose({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(h);
      h = tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }).apply(h);
      return tfl.model({ inputs: input, outputs: h as tfl.SymbolicTensor });
    };
    const batch = 4;
    const xVals = seeded(batch * 28 * 28, 5).map((v) => (v + 1) / 2);
    let weightVals: Float32Array[] | null = null;

    const grads = async (backend: Backend) => {
      await tf.setBackend(backend);
      const model = build();
      if (weightVals == null) weightVals = model.getWeights().map((w, i) => seeded(w.size, 20 + i).map((v) => v * 0.2));
      model.setWeights(weightVals.map((v, i) => tf.tensor(v, model.getWeights()[i]!.shape)));
      const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      const out = await on(backend, () => {
        const x = tf.tensor4d(xVals, [batch, 28, 28, 1]);
        const { value, grads: g } = tf.variableGrads(
          () => tf.mean(tf.square(tf.sub(model.apply(x) as tf.Tensor, x))) as tf.Scalar,
          vars,
        );
        return [value, ...vars.map((v) => g[v.name]!)];
      });
      if (backend === 'wasm') {
        model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
        const x = tf.tensor4d(xVals, [batch, 28, 28, 1]);
        const history = await model.fit(x, x, { epochs: 1, batchSize: batch, verbose: 0 });
        expect(Number.isFinite(history.history.loss![0] as number)).toBe(true);
        x.dispose();
      }
      tf.dispose(model.weights.map((w) => w.read()));
      return out;
    };

    const wasm = await grads('wasm');
    const cpu = await grads('cpu');
    expect(wasm.length).toBe(9);
    for (let i = 0; i < wasm.length; i++) expect(relErr(wasm[i]!, cpu[i]!)).toBeLessThan(1e-4);
  });

  it('dW agrees with central finite differences (tiny case, on wasm)', async () => {
    await tf.setBackend('wasm');
    const xShape: [number, number, number, number] = [2, 5, 5, 2];
    const wShape: [number, number, number, number] = [3, 3, 2, 3];
    const xVals = seeded(size(xShape), 7);
    const wVals = seeded(size(wShape), 8);
    // f(W) = 0.5 * sum(conv2d(x, W)^2), summed in float64.
    const f = (w: Float32Array): number => {
      const y = tf.tidy(() => tf.conv2d(tf.tensor4d(xVals, xShape), tf.tensor4d(w, wShape), 2, 'same'));
      const v = y.dataSync();
      y.dispose();
      let s = 0;
      for (let i = 0; i < v.length; i++) s += 0.5 * v[i]! * v[i]!;
      return s;
    };
    const [analytic] = await on('wasm', () => [
      tf.grad((w: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(tf.conv2d(tf.tensor4d(xVals, xShape), w as tf.Tensor4D, 2, 'same')))))(
        tf.tensor4d(wVals, wShape),
      ),
    ]);
    const eps = 1e-2;
    const numeric = new Float64Array(wVals.length);
    for (let i = 0; i < wVals.length; i++) {
      const plus = Float32Array.from(wVals);
      const minus = Float32Array.from(wVals);
      plus[i] = plus[i]! + eps;
      minus[i] = minus[i]! - eps;
      numeric[i] = (f(plus) - f(minus)) / (plus[i]! - minus[i]!);
    }
    expect(relErr(analytic!, numeric)).toBeLessThan(1e-3);
  });
});

describe('no leaks on wasm', () => {
  it('kernel and gradient leave no tensors or wasm data buffers behind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const x = tf.tensor4d(seeded(4 * 9 * 9 * 3, 1), [4, 9, 9, 3]);
    const w = tf.variable(tf.tensor4d(seeded(3 * 3 * 3 * 5, 2), [3, 3, 3, 5]));
    const c: FilterCase = { name: 'leak', xShape: [4, 9, 9, 3], filterShape: [3, 3, 3, 5], strides: 2, pad: 'same' };
    const dy = tf.tensor(seeded(size(dyShapeOf(c)), 3), dyShapeOf(c));
    const cNCHW: FilterCase = { ...c, xShape: [4, 3, 9, 9], dataFormat: 'NCHW' };
    const xNCHW = tf.transpose(x, [0, 3, 1, 2]);
    const dyNCHW = tf.transpose(dy, [0, 3, 1, 2]);

    const step = () => {
      backpropFilter(x, dy, c).dispose();
      backpropFilter(xNCHW, dyNCHW, cNCHW).dispose();
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 2, 'same'))), [w]);
      value.dispose();
      tf.dispose(Object.values(grads));
    };
    step(); // warm-up (lazily created backend state)
    const tensorsBefore = tf.memory().numTensors;
    const dataIdsBefore = backend.numDataIds();
    for (let i = 0; i < 3; i++) step();
    const saved = conv2DBackpropFilterTuning.maxPatchElements;
    conv2DBackpropFilterTuning.maxPatchElements = 1; // chunked path too
    try {
      step();
    } finally {
      conv2DBackpropFilterTuning.maxPatchElements = saved;
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(backend.numDataIds()).toBe(dataIdsBefore);
    tf.dispose([x, w, dy, xNCHW, dyNCHW]);
  });
});
