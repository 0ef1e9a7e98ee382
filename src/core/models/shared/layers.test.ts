import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../../node/backend/index.js';
import { Rng } from '../../random.js';
import { FastActivation, FastBatchNormalization, FastConv2D, FastDense } from './layers.js';

function random(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => 2 * rng.next() - 1), shape);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** The gradients of Σ dy·layer(x) with respect to x (as a variable) and the weights agree between `fast` and `stock` (same weights). */
function expectSameGradients(fast: tfl.layers.Layer, stock: tfl.layers.Layer, x: tf.Tensor, dy: tf.Tensor): void {
  const variableGrads = (layer: tfl.layers.Layer, xv: tf.Variable) =>
    tf.variableGrads(() => tf.sum(tf.mul(layer.apply(xv) as tf.Tensor, dy)) as tf.Scalar, [xv, ...layer.trainableWeights.map((v) => v.read() as tf.Variable)]);
  const xv = tf.variable(x, true);
  const ours = variableGrads(fast, xv);
  const theirs = variableGrads(stock, xv);
  expect(maxAbsDiff(ours.value, theirs.value)).toBeLessThan(1e-4);
  expect(maxAbsDiff(ours.grads[xv.name], theirs.grads[xv.name])).toBeLessThan(1e-5);
  const nameOf = (v: tfl.LayerVariable) => (v.read() as tf.Variable).name;
  fast.trainableWeights.forEach((w, i) => {
    expect(maxAbsDiff(ours.grads[nameOf(w)], theirs.grads[nameOf(stock.trainableWeights[i])])).toBeLessThan(1e-4);
  });
  tf.dispose([xv, ours.value, theirs.value, ...Object.values(ours.grads), ...Object.values(theirs.grads)]);
}

/** The model saved (in memory) and loaded back, with the class names of its layers as saved. */
async function saveAndReload(model: tfl.LayersModel): Promise<{ reloaded: tfl.LayersModel; classNames: string[] }> {
  const json = model.toJSON(null, false) as { config: { layers: { class_name: string }[] } };
  const saved: tf.io.ModelArtifacts[] = [];
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved.push(artifacts);
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return { reloaded: await tfl.loadLayersModel(tf.io.fromMemory(saved[0])), classNames: json.config.layers.map((l) => l.class_name) };
}

/** A stock Dense and a FastDense with the same (random) weights. */
function pair(inputs: number, units: number, activation: 'relu' | 'linear' | 'sigmoid', seed: number) {
  const stock = tfl.layers.dense({ units, activation, inputShape: [inputs] });
  const fast = new FastDense({ units, activation, inputShape: [inputs] });
  stock.build([null, inputs]);
  fast.build([null, inputs]);
  const rng = new Rng(seed);
  const weights = [random(rng, [inputs, units]), random(rng, [units])];
  stock.setWeights(weights);
  fast.setWeights(weights);
  tf.dispose(weights);
  return { stock, fast };
}

const CASES = [
  { batch: 5, inputs: 7, units: 3, activation: 'relu' as const },
  { batch: 16, inputs: 33, units: 20, activation: 'linear' as const },
  { batch: 1, inputs: 9, units: 12, activation: 'sigmoid' as const },
];

describe.each(['cpu', 'wasm'] as const)('FastDense on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it.each(CASES)('matches Dense forward and every gradient ($batch×$inputs → $units, $activation)', ({ batch, inputs, units, activation }) => {
    const { stock, fast } = pair(inputs, units, activation, batch + units);
    const rng = new Rng(7);
    const x = random(rng, [batch, inputs]);
    const dy = random(rng, [batch, units]);
    expect(maxAbsDiff(fast.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor)).toBeLessThan(1e-5);
    expectSameGradients(fast, stock, x, dy);
    tf.dispose([x, dy]);
  });

  it('on data (not a variable) the backward pass runs one matmul, not two', async () => {
    // Linear, as in our networks (activations are separate layers): then Dense always fuses.
    const { stock, fast } = pair(30, 10, 'linear', 1);
    const x = random(new Rng(2), [8, 30]);
    const matmulsInBackward = async (layer: tfl.layers.Layer) => {
      const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars);
        tf.dispose([value, ...Object.values(grads)]);
      });
      names.set(layer, info.kernels.map((k) => k.name));
      return info.kernels.filter((k) => k.name === 'BatchMatMul' || k.name === '_FusedMatMul' || k.name === 'LatentkitDense').length;
    };
    const names = new Map<tfl.layers.Layer, string[]>();
    // Forward 1 + backward 2 (∂W and the unused ∂x) for Dense; forward 1 (latentkit's Dense kernel) + backward 1 for FastDense.
    expect(await matmulsInBackward(stock)).toBe(3);
    expect(await matmulsInBackward(fast)).toBe(2);
    // The forward pass is one kernel with the bias in it: no separate Add.
    expect(names.get(fast)!.filter((n) => n === 'LatentkitDense')).toHaveLength(1);
    expect(names.get(fast)!.filter((n) => n === 'Add')).toHaveLength(0);
    x.dispose();
  });
});

describe('FastDense saved form', () => {
  it("saves as class 'Dense' and reloads (as FastDense) with the same outputs", async () => {
    await initBackend('cpu');
    const input = tfl.input({ shape: [6] });
    const output = new FastDense({ units: 4, activation: 'relu', name: 'fd' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    const { reloaded, classNames } = await saveAndReload(model);
    expect(classNames).toEqual(['InputLayer', 'Dense']);
    expect(reloaded.getLayer('fd')).toBeInstanceOf(FastDense);
    const x = random(new Rng(4), [3, 6]);
    expect(maxAbsDiff(reloaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBe(0);
    x.dispose();
  });
});

/** A stock Conv2D and a FastConv2D with the same (random) weights. */
function convPair(inC: number, filters: number, strides: number, padding: 'same' | 'valid', seed: number, activation: 'relu' | 'linear' = 'relu') {
  const args = { filters, kernelSize: 3, strides, padding, activation };
  const stock = tfl.layers.conv2d(args);
  const fast = new FastConv2D(args);
  stock.build([null, 9, 9, inC]);
  fast.build([null, 9, 9, inC]);
  const rng = new Rng(seed);
  const weights = [random(rng, [3, 3, inC, filters]), random(rng, [filters])];
  stock.setWeights(weights);
  fast.setWeights(weights);
  tf.dispose(weights);
  return { stock, fast };
}

describe.each(['cpu', 'wasm'] as const)('FastConv2D on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it.each([
    { batch: 3, h: 9, w: 7, inC: 2, filters: 5, strides: 2, padding: 'same' as const },
    { batch: 2, h: 8, w: 9, inC: 3, filters: 4, strides: 1, padding: 'valid' as const },
  ])('matches Conv2D forward and every gradient ($batch×$h×$w×$inC → $filters, stride $strides, $padding)', ({ batch, h, w, inC, filters, strides, padding }) => {
    const { stock, fast } = convPair(inC, filters, strides, padding, batch + filters);
    const rng = new Rng(5);
    const x = random(rng, [batch, h, w, inC]);
    const y = stock.apply(x) as tf.Tensor;
    const dy = random(rng, y.shape);
    expect(maxAbsDiff(fast.apply(x) as tf.Tensor, y)).toBeLessThan(1e-5);
    expectSameGradients(fast, stock, x, dy);
    tf.dispose([x, y, dy]);
  });

  it("on data (not a variable) the backward pass skips ∂x: no Conv2DBackpropInput, which Conv2D's fused gradient runs", async () => {
    // Linear, as in our networks (activations are separate layers): then Conv2D runs FusedConv2D.
    const { stock, fast } = convPair(2, 4, 2, 'same', 3, 'linear');
    const x = random(new Rng(6), [2, 9, 9, 2]);
    const kernels = async (layer: tfl.layers.Layer) => {
      const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars);
        tf.dispose([value, ...Object.values(grads)]);
      });
      return info.kernels.map((k) => k.name);
    };
    expect((await kernels(stock)).filter((n) => n === 'Conv2DBackpropInput')).toHaveLength(1);
    const ours = await kernels(fast);
    expect(ours.filter((n) => n === 'Conv2DBackpropInput')).toHaveLength(0);
    expect(ours.filter((n) => n === 'Conv2DBackpropFilter')).toHaveLength(1);
    x.dispose();
  });

  it("saves as class 'Conv2D' and reloads as FastConv2D", async () => {
    const input = tfl.input({ shape: [9, 9, 2] });
    const output = new FastConv2D({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', name: 'fc' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    const { reloaded, classNames } = await saveAndReload(model);
    expect(classNames).toEqual(['InputLayer', 'Conv2D']);
    expect(reloaded.getLayer('fc')).toBeInstanceOf(FastConv2D);
    const x = random(new Rng(4), [2, 9, 9, 2]);
    expect(maxAbsDiff(reloaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBe(0);
    x.dispose();
  });
});

describe.each(['cpu', 'wasm'] as const)('FastActivation on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it('ReLU: the same values and the same gradient as Activation (dy where x > 0, else 0), in one kernel', async () => {
    const rng = new Rng(8);
    // 3·3·7·5 = 315 values (three past the last whole vector), some exactly 0.
    const x = tf.tidy(() => tf.where(tf.less(tf.abs(random(rng, [3, 3, 7, 5])), 0.1), tf.zerosLike(random(rng, [3, 3, 7, 5])), random(new Rng(9), [3, 3, 7, 5])));
    const dy = random(rng, x.shape);
    const fast = new FastActivation({ activation: 'relu' });
    const stock = tfl.layers.activation({ activation: 'relu' });
    const grad = (layer: tfl.layers.Layer) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, dy)))(x);
    expect(maxAbsDiff(fast.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor)).toBe(0);
    const want = tf.tidy(() => tf.where(tf.greater(x, 0), dy, tf.zerosLike(dy)));
    expect(maxAbsDiff(grad(fast), want)).toBe(0);
    expect(maxAbsDiff(grad(stock), want)).toBe(0);
    const kernels = async (layer: tfl.layers.Layer) => (await tf.profile(() => grad(layer).dispose())).kernels.map((k) => k.name);
    const [ours, theirs] = [await kernels(fast), await kernels(stock)];
    const count = (names: string[], name: string) => names.filter((n) => n === name).length;
    // Stock: step, cast and multiply; ours: the one gradient kernel.
    expect(count(ours, 'LatentkitReluGrad')).toBe(1);
    expect([count(ours, 'Step'), count(theirs, 'Step')]).toEqual([0, 1]);
    expect(count(ours, 'Cast')).toBe(count(theirs, 'Cast') - 1);
    expect(count(ours, 'Multiply')).toBe(count(theirs, 'Multiply') - 1);
    tf.dispose([x, dy, want]);
  });

  it('other activations take the stock path', () => {
    const x = random(new Rng(10), [3, 4]);
    expect(maxAbsDiff(new FastActivation({ activation: 'sigmoid' }).apply(x) as tf.Tensor, tf.sigmoid(x))).toBe(0);
    x.dispose();
  });
});

describe.each(['cpu', 'wasm'] as const)('FastBatchNormalization on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  /** A stock BatchNormalization and a FastBatchNormalization with the same random γ, β and moving statistics. */
  function bnPair(channels: number, seed: number) {
    const args = { axis: -1, momentum: 0.9 };
    const stock = tfl.layers.batchNormalization(args);
    const fast = new FastBatchNormalization(args);
    stock.build([null, 5, 5, channels]);
    fast.build([null, 5, 5, channels]);
    const rng = new Rng(seed);
    const weights = [tf.add(1, random(rng, [channels])), random(rng, [channels]), random(rng, [channels]), tf.add(1.5, random(rng, [channels]))];
    stock.setWeights(weights);
    fast.setWeights(weights);
    tf.dispose(weights);
    return { stock, fast };
  }

  it('matches BatchNormalization in training (output, moving statistics, every gradient) and at inference', () => {
    const { stock, fast } = bnPair(3, 1);
    const x = tf.mul(3, random(new Rng(2), [4, 5, 5, 3]));
    const dy = random(new Rng(3), [4, 5, 5, 3]);
    // Loss Σ y·dy: its gradients are the backward pass of dy.
    const gradsOf = (layer: tfl.layers.Layer) => {
      const [gamma, beta] = layer.trainableWeights.map((w) => w.read());
      return tf.grads((xs: tf.Tensor, _g: tf.Tensor, _b: tf.Tensor) => tf.sum(tf.mul(layer.apply(xs, { training: true }) as tf.Tensor, dy)))([x, gamma!, beta!]);
    };
    const yStock = stock.apply(x, { training: true }) as tf.Tensor;
    const yFast = fast.apply(x, { training: true }) as tf.Tensor;
    expect(maxAbsDiff(yFast, yStock)).toBeLessThan(1e-5);
    stock.getWeights().forEach((w, i) => expect(maxAbsDiff(fast.getWeights()[i]!, w), `weight ${i}`).toBeLessThan(1e-6));
    expect(maxAbsDiff(fast.getWeights()[2]!, bnPair(3, 1).fast.getWeights()[2]!)).toBeGreaterThan(1e-3);
    const [gxs, ...gStock] = gradsOf(stock);
    const [gxf, ...gFast] = gradsOf(fast);
    expect(maxAbsDiff(gxf!, gxs!)).toBeLessThan(1e-4);
    gStock.forEach((g, i) => expect(maxAbsDiff(gFast[i]!, g)).toBeLessThan(1e-4));
    expect(tf.max(tf.abs(gxs!)).dataSync()[0]).toBeGreaterThan(0.01);
    expect(maxAbsDiff(fast.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor)).toBeLessThan(1e-6);
  });

  it("saves as class 'BatchNormalization'", () => {
    const { fast } = bnPair(2, 4);
    expect(fast.getClassName()).toBe('BatchNormalization');
    expect(fast.getConfig()).toMatchObject({ momentum: 0.9, axis: -1 });
  });
});
