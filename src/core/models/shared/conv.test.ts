import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup, tempDir } from '../../../../test/helpers.js';
import { initBackend, type BackendName } from '../../../node/backend/index.js';
import { disposeBatch, makeBatch } from '../../data/batches.js';
import { loadDataset } from '../../data/load.js';
import type { Dataset } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { loadNetwork, saveNetwork } from '../../../node/files/tfjs-files.js';
import { Rng } from '../../random.js';
import { getModelDefinition } from '../registry.js';
import type { Autoencoder, Batch, CommonConfig, DataInfo } from '../types.js';
import { convGeometry } from './conv.js';
import { buildDecoder, buildEncoder, decoderTrainingView } from './networks.js';

let sprites: Dataset;

beforeAll(async () => {
  await setup('wasm');
  sprites = await loadDataset('sprites', { split: 'train', limit: 256 });
});

function commonConfig(inputShape: [number, number, number]): CommonConfig {
  return { model: 'vae', arch: 'conv', inputShape, numClasses: 10, hidden: [32], latent: 4, activation: 'relu' };
}

function outputShape(net: tfl.LayersModel, layer: string): (number | null)[] {
  return (net.getLayer(layer).output as tfl.SymbolicTensor).shape;
}

/** A model from the registry with --arch conv and small dense layers. */
function convModel(name: string, data: DataInfo, extra: Record<string, unknown> = {}, seed = 0): Autoencoder {
  const def = getModelDefinition(name);
  return def.create(def.resolveConfig({ arch: 'conv', hidden: [32], latent: 4, ...extra }, data), new Rng(seed));
}

/** Random pixels in [0, 1] with labels, for image sizes no dataset has. */
function randomBatch(shape: [number, number, number], size: number, seed: number): Batch {
  const x = tf.randomUniform([size, shape[0] * shape[1] * shape[2]], 0, 1, 'float32', seed) as tf.Tensor2D;
  const labels = tf.tensor1d(Array.from({ length: size }, (_, i) => i % 10), 'int32');
  return { x, labels };
}

describe('conv geometry', () => {
  it('halves each side twice (rounding up) and crops the mirrored output back', () => {
    expect(convGeometry([28, 28, 1])).toMatchObject({ innerHeight: 7, innerWidth: 7, cropBottom: 0, cropRight: 0 });
    expect(convGeometry([30, 27, 3])).toMatchObject({ innerHeight: 8, innerWidth: 7, cropBottom: 2, cropRight: 1 });
    expect(convGeometry([4, 5, 1])).toMatchObject({ innerHeight: 1, innerWidth: 2, cropBottom: 0, cropRight: 3 });
  });

  it('refuses data that is not an image, through the model definitions too', () => {
    expect(() => convGeometry([1, 1, 784])).toThrow(UsageError);
    expect(() => convGeometry([3, 28, 1])).toThrow(/at least 4×4 pixels; this data is 3×28×1/);
    expect(() => convModel('vae', { shape: [1, 1, 784], numClasses: 10 })).toThrow(/--arch conv needs images/);
    expect(() => convModel('ae', { shape: [1, 1, 784], numClasses: 10 })).toThrow(UsageError);
  });
});

describe('conv networks', () => {
  it('28×28×1: conv 32 and 64 at stride 2, dense hidden layers, the named heads; decoder mirrors it', () => {
    const config = commonConfig([28, 28, 1]);
    const heads = [{ name: 'mu', units: 4 }, { name: 'log_var', units: 4 }];
    const encoder = buildEncoder(config, { heads, conditionSize: 0 }, new Rng(0));
    expect(outputShape(encoder, 'encoder_conv1')).toEqual([null, 14, 14, 32]);
    expect(outputShape(encoder, 'encoder_conv2')).toEqual([null, 7, 7, 64]);
    expect(outputShape(encoder, 'encoder_dense1')).toEqual([null, 32]);
    expect(encoder.outputs.map((o) => o.shape)).toEqual([[null, 4], [null, 4]]);
    expect(encoder.countParams()).toBe(3 * 3 * 1 * 32 + 32 + (3 * 3 * 32 * 64 + 64) + (7 * 7 * 64 * 32 + 32) + 2 * (32 * 4 + 4));

    const decoder = buildDecoder(config, { output: 'sigmoid', conditionSize: 0 }, new Rng(0));
    expect(outputShape(decoder, 'decoder_reshape')).toEqual([null, 7, 7, 64]);
    expect(outputShape(decoder, 'decoder_deconv1')).toEqual([null, 14, 14, 32]);
    expect(outputShape(decoder, 'decoder_deconv2')).toEqual([null, 28, 28, 1]);
    expect(outputShape(decoder, 'decoder_preact')).toEqual([null, 784]);
    expect(decoder.outputs.map((o) => o.name.split('/')[0])).toEqual(['decoder_output']);
    expect(decoder.countParams()).toBe(4 * 32 + 32 + (32 * 3136 + 3136) + (3 * 3 * 64 * 32 + 32) + (3 * 3 * 32 * 1 + 1));
    for (const layer of [...encoder.layers, ...decoder.layers]) {
      expect(layer.name).toMatch(/^(x|z|mu|log_var|encoder_.*|decoder_.*)$/);
    }
  });

  it('32×32×3 with a condition input and a learned log-variance output', () => {
    const config = commonConfig([32, 32, 3]);
    const encoder = buildEncoder(config, { heads: [{ name: 'code', units: 4 }], conditionSize: 10 }, new Rng(0));
    const decoder = buildDecoder(config, { output: 'sigmoid', conditionSize: 10, learnedLogVariance: true }, new Rng(1));
    expect(encoder.inputNames).toEqual(['x', 'condition']);
    // The condition joins after the convolutions: [b, 8·8·64 + 10].
    expect(outputShape(encoder, 'encoder_concat')).toEqual([null, 8 * 8 * 64 + 10]);
    expect(decoder.outputs.map((o) => o.shape)).toEqual([[null, 3072], [null, 3072]]);
    tf.tidy(() => {
      const cond = tf.cast(tf.oneHot(tf.tensor1d([3, 7], 'int32'), 10), 'float32');
      const code = encoder.apply([tf.randomUniform([2, 3072], 0, 1, 'float32', 2), cond]) as tf.Tensor;
      expect(code.shape).toEqual([2, 4]);
      const [out, logVar] = decoder.apply([code, cond]) as tf.Tensor[];
      expect(out.shape).toEqual([2, 3072]);
      expect(tf.min(out).dataSync()[0]).toBeGreaterThan(0);
      expect(tf.max(out).dataSync()[0]).toBeLessThan(1);
      expect(Array.from(tf.unique(tf.reshape(logVar, [-1])).values.dataSync())).toEqual([0]);
    });
  });

  it('an odd size (30×27×3) is cropped back, and the training view exposes the flat pre-activation', () => {
    const decoder = buildDecoder(commonConfig([30, 27, 3]), { output: 'linear', conditionSize: 0, learnedLogVariance: true }, new Rng(0));
    expect(outputShape(decoder, 'decoder_deconv2')).toEqual([null, 32, 28, 3]);
    expect(outputShape(decoder, 'decoder_crop')).toEqual([null, 30, 27, 3]);
    const view = decoderTrainingView(decoder);
    expect(view.outputs.map((o) => o.shape)).toEqual([[null, 2430], [null, 2430]]);
    tf.tidy(() => {
      const z = tf.randomNormal([2, 4], 0, 1, 'float32', 3);
      const [preact] = view.apply(z) as tf.Tensor[];
      const [out] = decoder.apply(z) as tf.Tensor[];
      // Linear output: the data-space output is the pre-activation itself.
      expect(Array.from(out.dataSync())).toEqual(Array.from(preact.dataSync()));
    });
  });

  it('initialises like PyTorch: weights and biases ~ U(±1/√fan_in), fan_in = 3·3·(in channels; out channels when transposed)', () => {
    const config = commonConfig([28, 28, 1]);
    const encoder = buildEncoder(config, { heads: [{ name: 'code', units: 4 }], conditionSize: 0 }, new Rng(0));
    const decoder = buildDecoder(config, { output: 'sigmoid', conditionSize: 0 }, new Rng(0));
    const cases: [tfl.LayersModel, string, number][] = [
      [encoder, 'encoder_conv1', 9 * 1],
      [encoder, 'encoder_conv2', 9 * 32],
      [decoder, 'decoder_deconv1', 9 * 32],
      [decoder, 'decoder_deconv2', 9 * 1],
    ];
    for (const [net, name, fanIn] of cases) {
      const [kernel, bias] = net.getLayer(name).getWeights();
      const bound = 1 / Math.sqrt(fanIn);
      const kernelMax = tf.max(tf.abs(kernel)).dataSync()[0];
      expect(kernelMax).toBeLessThanOrEqual(bound);
      expect(kernelMax).toBeGreaterThan(0.9 * bound);
      expect(tf.max(tf.abs(bias)).dataSync()[0]).toBeLessThanOrEqual(bound);
    }
  });
});

describe('conv models', () => {
  it('save then reload (cvae, learned σ, 30×27×3) gives identical outputs', async () => {
    const data = { shape: [30, 27, 3] as [number, number, number], numClasses: 10 };
    const model = convModel('cvae', data, { decoder: 'gaussian', sigma: 'learned' });
    const dir = tempDir();
    for (const [name, net] of Object.entries(model.networks)) await saveNetwork(net, `${dir}/${name}`);
    const networks = { encoder: await loadNetwork(`${dir}/encoder`), decoder: await loadNetwork(`${dir}/decoder`) };
    const reloaded = getModelDefinition('cvae').restore(model.config, networks);
    const batch = randomBatch(data.shape, 4, 1);
    tf.tidy(() => {
      const z = tf.randomNormal([4, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
      const loss = (m: Autoencoder) => m.forward(batch, { training: false, epoch: 1, rng: new Rng(3) }).loss.dataSync()[0];
      expect(Array.from(reloaded.encode(batch).dataSync())).toEqual(Array.from(model.encode(batch).dataSync()));
      expect(Array.from(reloaded.decode(z, batch.labels).dataSync())).toEqual(Array.from(model.decode(z, batch.labels).dataSync()));
      expect(loss(reloaded)).toBe(loss(model));
    });
    disposeBatch(batch);
    model.dispose();
    reloaded.dispose();
  });

  it.each(['ae', 'vae'])('a conv %s trains on wasm: 20 Adam steps on sprites lower the loss', (name) => {
    const model = convModel(name, sprites);
    const probe = makeBatch(sprites, null, 0, 64);
    const lossOn = () => tf.tidy(() => model.forward(probe, { training: false, epoch: 1, rng: new Rng(99) }).loss.dataSync()[0]);
    const optimizer = tf.train.adam(1e-3);
    const before = lossOn();
    for (let step = 0; step < 20; step++) {
      const batch = makeBatch(sprites, null, (step % 8) * 32, (step % 8) * 32 + 32);
      optimizer.minimize(() => model.forward(batch, { training: true, epoch: 1, rng: new Rng(step) }).loss, false, model.trainableVariables());
      disposeBatch(batch);
    }
    expect(lossOn()).toBeLessThan(0.8 * before);
    optimizer.dispose();
    disposeBatch(probe);
    model.dispose();
  });
});

/** ∂loss/∂θ for every trainable variable, computed on `backend` from a freshly built model. */
async function gradientsOn(backend: BackendName, make: () => { model: Autoencoder; batch: Batch }): Promise<{ loss: number; grads: Float32Array[] }> {
  await initBackend(backend);
  const { model, batch } = make();
  const vars = model.trainableVariables();
  // Same Rng seed on both backends: the same ε (tfjs's seeded random ops do not depend on the backend).
  const { value, grads } = tf.variableGrads(() => model.forward(batch, { training: true, epoch: 1, rng: new Rng(7) }).loss, vars);
  const result = { loss: value.dataSync()[0], grads: vars.map((v) => (grads[v.name].dataSync() as Float32Array).slice()) };
  tf.dispose([value, ...Object.values(grads)]);
  disposeBatch(batch);
  model.dispose();
  return result;
}

/** Largest |a − b| over the tensor, relative to the largest |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

describe('conv gradients on wasm match the cpu backend', () => {
  const cases: [string, () => { model: Autoencoder; batch: Batch }][] = [
    ['vae, sprites 28×28×1', () => ({ model: convModel('vae', sprites, {}, 3), batch: makeBatch(sprites, null, 0, 4) })],
    [
      'cvae with learned σ, 30×27×3 (condition input, crop)',
      () => ({ model: convModel('cvae', { shape: [30, 27, 3], numClasses: 10 }, { decoder: 'gaussian', sigma: 'learned' }, 3), batch: randomBatch([30, 27, 3], 4, 4) }),
    ],
  ];

  it.each(cases)('%s: every gradient within 1e-3 (relative)', async (_name, make) => {
    try {
      const cpu = await gradientsOn('cpu', make);
      const wasm = await gradientsOn('wasm', make);
      expect(wasm.loss).toBeCloseTo(cpu.loss, 2);
      expect(wasm.grads).toHaveLength(cpu.grads.length);
      const errors = cpu.grads.map((g, i) => relativeError(wasm.grads[i], g));
      expect(Math.max(...errors)).toBeLessThan(1e-3);
      // Not vacuous: each gradient tensor is non-zero.
      for (const g of cpu.grads) expect(g.some((v) => v !== 0)).toBe(true);
    } finally {
      await initBackend('wasm');
    }
  });
});
