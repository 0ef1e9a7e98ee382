// --conv-filters, --batch-norm and --dropout: shapes, training vs inference, saving, and a colour VAE that learns.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { model as tflModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup, tempDir } from '../../../../test/helpers.js';
import { loadNetwork, saveNetwork } from '../../../node/files/tfjs-files.js';
import { disposeBatch, makeBatch } from '../../data/batches.js';
import { generateShapes } from '../../data/shapes.js';
import { FieldError, UsageError } from '../../errors.js';
import { Rng } from '../../random.js';
import { train } from '../../train/trainer.js';
import { getModelDefinition } from '../registry.js';
import type { Autoencoder, Batch, CommonConfig, DataInfo } from '../types.js';
import { buildDecoder, buildEncoder, hasRunningStatistics } from './networks.js';
import { pixelRange } from '../../data/pixels.js';

beforeAll(async () => {
  await setup('wasm');
});

const BOOK = [32, 64, 64, 64];

function config(inputShape: [number, number, number], extra: Partial<CommonConfig> = {}): CommonConfig {
  return { model: 'vae', arch: 'conv', inputShape, numClasses: 4, hidden: [16], latent: 200, activation: 'leaky-relu', convFilters: BOOK, ...extra };
}

function outputShape(net: tfl.LayersModel, layer: string): (number | null)[] {
  return (net.getLayer(layer).output as tfl.SymbolicTensor).shape;
}

function model(name: string, data: DataInfo, extra: Record<string, unknown>, seed = 0): Autoencoder {
  const def = getModelDefinition(name);
  return def.create(def.resolveConfig({ arch: 'conv', hidden: [16], latent: 4, ...extra }, data), new Rng(seed));
}

function randomBatch(shape: [number, number, number], size: number, seed: number): Batch {
  return { x: tf.randomUniform([size, shape[0] * shape[1] * shape[2]], 0, 1, 'float32', seed) as tf.Tensor2D };
}

/** Trainable parameters of a 3×3 convolution (or transposed convolution) from `cin` to `cout` channels. */
const conv3 = (cin: number, cout: number) => 9 * cin * cout + cout;
const dense = (nin: number, nout: number) => nin * nout + nout;

describe('--conv-filters', () => {
  it('64×64×3 with the Keras book filters 32,64,64,64: four halvings to 4×4×64, mirrored back to 64×64×3', () => {
    const encoder = buildEncoder(config([64, 64, 3]), { heads: [{ name: 'mu', units: 200 }, { name: 'log_var', units: 200 }], conditionSize: 0 }, new Rng(0));
    expect([1, 2, 3, 4].map((i) => outputShape(encoder, `encoder_conv${i}`))).toEqual([
      [null, 32, 32, 32],
      [null, 16, 16, 64],
      [null, 8, 8, 64],
      [null, 4, 4, 64],
    ]);
    expect(encoder.outputs.map((o) => o.shape)).toEqual([[null, 200], [null, 200]]);
    expect(encoder.countParams()).toBe(conv3(3, 32) + conv3(32, 64) + 2 * conv3(64, 64) + dense(4 * 4 * 64, 16) + 2 * dense(16, 200));

    const decoder = buildDecoder(config([64, 64, 3]), { output: 'sigmoid', conditionSize: 0 }, new Rng(0));
    expect(outputShape(decoder, 'decoder_reshape')).toEqual([null, 4, 4, 64]);
    expect([1, 2, 3, 4].map((i) => outputShape(decoder, `decoder_deconv${i}`))).toEqual([
      [null, 8, 8, 64],
      [null, 16, 16, 64],
      [null, 32, 32, 32],
      [null, 64, 64, 3],
    ]);
    expect(decoder.outputs[0].shape).toEqual([null, 64 * 64 * 3]);
    expect(decoder.countParams()).toBe(dense(200, 16) + dense(16, 4 * 4 * 64) + 2 * conv3(64, 64) + conv3(64, 32) + conv3(32, 3));
  });

  it('28×28×1 with four layers: ⌈28/16⌉ = 2, mirrored to 32 and cropped to 28', () => {
    const encoder = buildEncoder(config([28, 28, 1]), { heads: [{ name: 'code', units: 8 }], conditionSize: 0 }, new Rng(0));
    expect([1, 2, 3, 4].map((i) => outputShape(encoder, `encoder_conv${i}`)[1])).toEqual([14, 7, 4, 2]);
    const decoder = buildDecoder(config([28, 28, 1], { latent: 8 }), { output: 'sigmoid', conditionSize: 0 }, new Rng(0));
    expect(outputShape(decoder, 'decoder_deconv4')).toEqual([null, 32, 32, 1]);
    expect(outputShape(decoder, 'decoder_crop')).toEqual([null, 28, 28, 1]);
    expect(decoder.outputs[0].shape).toEqual([null, 784]);
    tf.tidy(() => {
      expect((decoder.apply(tf.zeros([2, 8])) as tf.Tensor).shape).toEqual([2, 784]);
    });
  });

  it('is a setting of every model with --arch conv, saved in its config; refused for mlp and for images too small', () => {
    const data: DataInfo = { shape: [32, 32, 3], numClasses: 4 };
    for (const name of ['ae', 'vae', 'cvae', 'wae']) {
      const m = model(name, data, { convFilters: [8, 8, 8], batchNorm: true, dropout: 0.1 });
      expect(m.config).toMatchObject({ convFilters: [8, 8, 8], batchNorm: true, dropout: 0.1 });
      expect(outputShape(m.networks.encoder, 'encoder_conv3')).toEqual([null, 4, 4, 8]);
      m.dispose();
    }
    // Runs from before these settings resolve to the two-layer network without either.
    const plain = getModelDefinition('vae').resolveConfig({ arch: 'conv' }, data);
    expect(plain).toMatchObject({ convFilters: [32, 64], batchNorm: false, dropout: 0 });
    expect(getModelDefinition('vae').resolveConfig({}, data)).not.toHaveProperty('convFilters');
    const refusal = (input: Record<string, unknown>) => {
      try {
        getModelDefinition('vae').resolveConfig(input, data);
      } catch (err) {
        expect(err).toBeInstanceOf(FieldError);
        return (err as FieldError).message;
      }
      throw new Error('expected a FieldError');
    };
    expect(refusal({ convFilters: [8] })).toMatch(/^convFilters applies to .*conv only, not mlp/);
    expect(refusal({ batchNorm: true })).toMatch(/^batchNorm /);
    expect(refusal({ arch: 'conv', dropout: 1 })).toMatch(/^dropout /);
    expect(refusal({ arch: 'conv', convFilters: [] })).toMatch(/^convFilters /);
    expect(() => model('vae', { shape: [28, 28, 1], numClasses: 4 }, { convFilters: [8, 8, 8, 8, 8] })).toThrow(UsageError);
    expect(() => model('vae', { shape: [28, 28, 1], numClasses: 4 }, { convFilters: [8, 8, 8, 8, 8] })).toThrow(/at least 32×32 pixels; this data is 28×28×1/);
  });
});

describe('--batch-norm and --dropout', () => {
  const data: DataInfo = { shape: [16, 16, 3], numClasses: 4 };

  it('puts batch normalisation before and dropout after each activation, but not after the output layer', () => {
    const m = model('vae', data, { convFilters: [8, 16], batchNorm: true, dropout: 0.25 });
    const names = (net: tfl.LayersModel) => net.layers.map((l) => l.name).filter((n) => /_(bn|act|dropout)$/.test(n) && !/dense|project/.test(n));
    expect(names(m.networks.encoder)).toEqual(['encoder_conv1_bn', 'encoder_conv1_act', 'encoder_conv1_dropout', 'encoder_conv2_bn', 'encoder_conv2_act', 'encoder_conv2_dropout']);
    expect(names(m.networks.decoder)).toEqual(['decoder_deconv1_bn', 'decoder_deconv1_act', 'decoder_deconv1_dropout']);
    expect(hasRunningStatistics(m.networks)).toBe(true);
    const plain = model('vae', data, { convFilters: [8, 16] });
    expect(hasRunningStatistics(plain.networks)).toBe(false);
    m.dispose();
    plain.dispose();
  });

  it('a training step normalises with the batch statistics and moves the moving mean by 0.1 of the way; inference leaves it alone', () => {
    const m = model('vae', data, { convFilters: [8, 16], batchNorm: true });
    const encoder = m.networks.encoder;
    const bn = encoder.getLayer('encoder_conv1_bn');
    const movingMean = () => bn.getWeights()[2]!.dataSync().slice();
    const batch = randomBatch(data.shape, 8, 1);
    expect(Array.from(movingMean())).toEqual(new Array(8).fill(0));
    // Inference: encode, decode, an evaluation forward pass.
    tf.tidy(() => {
      m.encode(batch);
      m.forward(batch, { training: false, epoch: 1, rng: new Rng(1) });
    });
    expect(Array.from(movingMean())).toEqual(new Array(8).fill(0));
    // The batch mean of the convolution's output per channel, computed on its own.
    const channelMeans = tf.tidy(() => {
      const convOut = tf.conv2d(tf.reshape(batch.x, [8, 16, 16, 3]) as tf.Tensor4D, encoder.getLayer('encoder_conv1').getWeights()[0] as tf.Tensor4D, 2, 'same');
      const biased = tf.add(convOut, encoder.getLayer('encoder_conv1').getWeights()[1]!);
      return tf.mean(biased, [0, 1, 2]).dataSync().slice();
    });
    tf.tidy(() => {
      m.forward(batch, { training: true, epoch: 1, rng: new Rng(1) });
    });
    const after = movingMean();
    for (let c = 0; c < 8; c++) expect(after[c]).toBeCloseTo(0.1 * channelMeans[c]!, 5);
    expect(channelMeans.some((v) => Math.abs(v) > 0.01)).toBe(true);
    // In training the output is normalised with the batch's own statistics: per channel mean β = 0 and variance γ² = 1.
    const upToBn = tflModel({ inputs: encoder.inputs, outputs: bn.output as tfl.SymbolicTensor });
    const stats = (training: boolean) =>
      tf.tidy(() => {
        const { mean, variance } = tf.moments(upToBn.apply(batch.x, { training }) as tf.Tensor, [0, 1, 2]);
        return { mean: Array.from(mean.dataSync()), variance: Array.from(variance.dataSync()) };
      });
    const inTraining = stats(true);
    for (let c = 0; c < 8; c++) {
      expect(Math.abs(inTraining.mean[c]!)).toBeLessThan(1e-4);
      expect(inTraining.variance[c]).toBeGreaterThan(0.9);
      expect(inTraining.variance[c]).toBeLessThan(1.0001);
    }
    // At inference the moving statistics (still near 0 and 1) leave the batch's own mean in.
    expect(Math.max(...stats(false).mean.map(Math.abs))).toBeGreaterThan(0.01);
    disposeBatch(batch);
    m.dispose();
  });

  it('dropout drops while training only, with masks from the step seed: same seed same loss, another seed another loss', () => {
    const m = model('vae', data, { convFilters: [8, 16], dropout: 0.5, activation: 'leaky-relu' });
    const batch = randomBatch(data.shape, 8, 2);
    const loss = (training: boolean, seed: number) => tf.tidy(() => m.forward(batch, { training, epoch: 1, rng: new Rng(seed) }).loss.dataSync()[0]!);
    expect(loss(true, 5)).toBe(loss(true, 5));
    expect(loss(true, 5)).not.toBe(loss(true, 6));
    // Without dropout's noise, evaluation differs from training only through ε, which the same seed fixes.
    const plain = model('vae', data, { convFilters: [8, 16], activation: 'leaky-relu' });
    plain.networks.encoder.setWeights(m.networks.encoder.getWeights());
    plain.networks.decoder.setWeights(m.networks.decoder.getWeights());
    const plainLoss = tf.tidy(() => plain.forward(batch, { training: false, epoch: 1, rng: new Rng(5) }).loss.dataSync()[0]!);
    expect(loss(false, 5)).toBe(plainLoss);
    // The dropout layer zeroes a fraction p of its inputs and scales the rest by 1/(1 − p); leaky-relu outputs are never 0 themselves.
    const act = tflModel({ inputs: m.networks.encoder.inputs, outputs: m.networks.encoder.getLayer('encoder_conv1_act').output as tfl.SymbolicTensor });
    const dropped = tflModel({ inputs: m.networks.encoder.inputs, outputs: m.networks.encoder.getLayer('encoder_conv1_dropout').output as tfl.SymbolicTensor });
    tf.tidy(() => {
      const run = (net: tfl.LayersModel, args: Record<string, unknown> = {}) => (net.apply(batch.x, args) as tf.Tensor).dataSync() as Float32Array;
      const before = run(act);
      const after = run(dropped, { training: true, seed: 7 });
      const zeros = after.filter((v) => v === 0).length / after.length;
      expect(zeros).toBeGreaterThan(0.45);
      expect(zeros).toBeLessThan(0.55);
      after.forEach((v, i) => (v === 0 ? undefined : expect(v).toBeCloseTo(2 * before[i]!, 5)));
      expect(Array.from(run(dropped, { training: false }))).toEqual(Array.from(before));
    });
    // Encoding is deterministic.
    const codes = () => tf.tidy(() => Array.from(m.encode(batch).dataSync()));
    expect(codes()).toEqual(codes());
    disposeBatch(batch);
    m.dispose();
    plain.dispose();
  });

  it('save and reload after training keeps the moving statistics: identical codes, decodings and evaluation loss', async () => {
    const m = model('vae', data, { convFilters: [8, 16], batchNorm: true, dropout: 0.2 }, 3);
    const optimizer = tf.train.adam(1e-2);
    for (let step = 0; step < 3; step++) {
      const batch = randomBatch(data.shape, 8, 10 + step);
      optimizer.minimize(() => m.forward(batch, { training: true, epoch: 1, rng: new Rng(step) }).loss, false, m.trainableVariables());
      disposeBatch(batch);
    }
    optimizer.dispose();
    const moving = m.networks.decoder.getLayer('decoder_deconv1_bn').getWeights()[3]!.dataSync();
    expect(moving.some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
    const dir = tempDir();
    for (const [name, net] of Object.entries(m.networks)) await saveNetwork(net, `${dir}/${name}`);
    const reloaded = getModelDefinition('vae').restore(m.config, { encoder: await loadNetwork(`${dir}/encoder`), decoder: await loadNetwork(`${dir}/decoder`) });
    expect(Array.from(reloaded.networks.decoder.getLayer('decoder_deconv1_bn').getWeights()[3]!.dataSync())).toEqual(Array.from(moving));
    const batch = randomBatch(data.shape, 4, 99);
    tf.tidy(() => {
      const z = tf.randomNormal([4, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
      const loss = (x: Autoencoder) => x.forward(batch, { training: false, epoch: 1, rng: new Rng(3) }).loss.dataSync()[0];
      expect(Array.from(reloaded.encode(batch).dataSync())).toEqual(Array.from(m.encode(batch).dataSync()));
      expect(Array.from(reloaded.decode(z).dataSync())).toEqual(Array.from(m.decode(z).dataSync()));
      expect(loss(reloaded)).toBe(loss(m));
      // And the reloaded dropout layers draw the same masks from the same step seed.
      const trainLoss = (x: Autoencoder) => x.forward(batch, { training: true, epoch: 1, rng: new Rng(4) }).loss.dataSync()[0];
      expect(trainLoss(reloaded)).toBe(trainLoss(m));
    });
    disposeBatch(batch);
    m.dispose();
    reloaded.dispose();
  });
});

describe('a colour VAE on shapes:16', () => {
  it('after a few epochs reconstructs test images better (MSE) than the per-pixel mean training image', async () => {
    const trainSet = generateShapes({ split: 'train', n: 512, size: 16 });
    const testSet = generateShapes({ split: 'test', n: 64, size: 16 });
    const def = getModelDefinition('vae');
    // The Keras book's loss: r_loss_factor · MSE + KL. A small weight lets the KL term win (the codes collapse to the prior).
    const settings = { arch: 'conv', convFilters: [16, 32], hidden: [64], latent: 16, activation: 'leaky-relu', batchNorm: true, reconWeight: 3000 };
    const vae = def.create(def.resolveConfig(settings, trainSet), new Rng(1));
    await train(vae, trainSet, testSet, { epochs: 6, batchSize: 32, lr: 5e-3, seed: 1 });
    const dim = 16 * 16 * 3;
    const mean = new Float64Array(dim);
    const [trainX, testX] = [pixelRange(trainSet), pixelRange(testSet)];
    for (let i = 0; i < trainSet.n; i++) for (let p = 0; p < dim; p++) mean[p]! += trainX[i * dim + p]! / trainSet.n;
    const batch = makeBatch(testSet, null, 0, testSet.n);
    const recon = tf.tidy(() => vae.decode(vae.encode(batch)).dataSync());
    disposeBatch(batch);
    let vaeError = 0;
    let meanError = 0;
    for (let i = 0; i < testSet.n; i++) {
      for (let p = 0; p < dim; p++) {
        const x = testX[i * dim + p]!;
        vaeError += (recon[i * dim + p]! - x) ** 2;
        meanError += (mean[p]! - x) ** 2;
      }
    }
    // Measured: about 0.39 of the mean image's error (much of it the background colour, one per image).
    expect(vaeError).toBeLessThan(0.6 * meanError);
    vae.dispose();
  }, 60_000);
});
