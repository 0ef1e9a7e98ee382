import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup, tempDir } from '../../../../test/helpers.js';
import { loadNetwork, saveNetwork } from '../../../node/files/tfjs-files.js';
import { Rng } from '../../random.js';
import { getModelDefinition } from '../registry.js';
import { betaAt, reparameterize } from './model.js';
import type { VaeConfig } from './config.js';

beforeAll(async () => {
  await setup('cpu');
});

describe('reparameterization z = μ + exp(½ log σ²)·ε', () => {
  it('gradients with respect to μ and log σ² match central finite differences', () => {
    const eps = tf.tensor1d([0.3, -1.1, 2.0]);
    // Any smooth function of z will do; sin gives non-trivial second derivatives.
    const f = (mu: tf.Tensor, logVar: tf.Tensor) => tf.sum(tf.sin(reparameterize(mu, logVar, eps))) as tf.Scalar;
    const mu0 = [0.2, -0.4, 0.9];
    const lv0 = [-0.3, 0.5, -1.5];
    const [gMu, gLv] = tf.grads(f)([tf.tensor1d(mu0), tf.tensor1d(lv0)]);
    const h = 1e-3;
    const fd = (which: 0 | 1, i: number) => {
      const bump = (arr: number[], d: number) => arr.map((v, j) => (j === i ? v + d : v));
      const at = (d: number) => (which === 0 ? f(tf.tensor1d(bump(mu0, d)), tf.tensor1d(lv0)) : f(tf.tensor1d(mu0), tf.tensor1d(bump(lv0, d)))).dataSync()[0];
      return (at(h) - at(-h)) / (2 * h);
    };
    const gm = gMu.dataSync();
    const gl = gLv.dataSync();
    for (let i = 0; i < 3; i++) {
      expect(gm[i]).toBeCloseTo(fd(0, i), 2);
      expect(gl[i]).toBeCloseTo(fd(1, i), 2);
      // And the analytic values: ∂z/∂μ = 1, ∂z/∂logσ² = ½σε.
      const z = mu0[i] + Math.exp(0.5 * lv0[i]) * eps.dataSync()[i];
      expect(gm[i]).toBeCloseTo(Math.cos(z), 4);
      expect(gl[i]).toBeCloseTo(Math.cos(z) * 0.5 * Math.exp(0.5 * lv0[i]) * eps.dataSync()[i], 4);
    }
  });
});

describe('β schedule', () => {
  it('rises linearly over the warm-up epochs, then stays at β', () => {
    const config = { beta: 4, klWarmup: 2 };
    expect(betaAt(config, 0)).toBe(0);
    expect(betaAt(config, 1)).toBe(2);
    expect(betaAt(config, 5)).toBe(4);
    expect(betaAt({ beta: 0.5, klWarmup: 0 }, 0)).toBe(0.5);
  });
});

describe('the VAE model', () => {
  const data = { shape: [28, 28, 1] as [number, number, number], numClasses: 10 };

  it('has the reference shapes: 784 → 400 → (20, 20), 20 → 400 → 784', () => {
    const def = getModelDefinition('vae');
    const model = def.create(def.resolveConfig({}, data), new Rng(0));
    expect(model.networks.encoder.outputs.map((o) => o.shape)).toEqual([[null, 20], [null, 20]]);
    expect(model.networks.decoder.outputs[0].shape).toEqual([null, 784]);
    const params = model.trainableVariables().reduce((n, v) => n + v.size, 0);
    expect(params).toBe(784 * 400 + 400 + 2 * (400 * 20 + 20) + 20 * 400 + 400 + 400 * 784 + 784);
    model.dispose();
  });

  it('builds the second reference network 784-400-400-200 with LeakyReLU(0.2)', () => {
    const def = getModelDefinition('vae');
    const config = def.resolveConfig({ hidden: [400, 400], latent: 200, activation: 'leaky-relu' }, data) as VaeConfig;
    const model = def.create(config, new Rng(0));
    const leaky = model.networks.encoder.layers.filter((l) => l.getClassName() === 'LeakyReLU');
    expect(leaky).toHaveLength(2);
    expect((leaky[0].getConfig() as { alpha: number }).alpha).toBeCloseTo(0.2);
    expect(model.networks.encoder.outputs[0].shape).toEqual([null, 200]);
    model.dispose();
  });

  it('the loss is reconstruction + KL per example, and the mean log importance weight is the ELBO', () => {
    const def = getModelDefinition('vae');
    const model = def.create(def.resolveConfig({ hidden: [32], latent: 3 }, data), new Rng(1));
    const x = tf.randomUniform([4, 784], 0, 1, 'float32', 3) as tf.Tensor2D;
    const out = model.forward({ x }, { training: false, epoch: 1, rng: new Rng(5) });
    expect(out.loss.dataSync()[0]).toBeCloseTo(out.terms.recon.dataSync()[0] + out.terms.kl.dataSync()[0], 3);
    expect(out.z.shape).toEqual([4, 3]);
    expect(out.recon.shape).toEqual([4, 784]);
    // E_q[log w] = ELBO: average both estimators over many draws and they must agree.
    const rng = new Rng(9);
    let lossSum = 0;
    for (let i = 0; i < 100; i++) lossSum += model.forward({ x }, { training: false, epoch: 1, rng }).loss.dataSync()[0];
    const meanLogW = tf.mean(model.logImportanceWeights!({ x }, 400, rng)).dataSync()[0];
    expect(Math.abs(meanLogW + lossSum / 100)).toBeLessThan(1);
    model.dispose();
  });

  it('log importance weights: broadcast μ, log σ² outside training give the repeated ones\' values, bit for bit, and a float64 hand computation', () => {
    const def = getModelDefinition('vae');
    const model = def.create(def.resolveConfig({ hidden: [8], latent: 2 }, data), new Rng(3));
    const x = tf.randomUniform([3, 784], 0, 1, 'float32', 6) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const outside = model.logImportanceWeights!({ x }, 5, new Rng(2));
    // While gradients are recorded the draws' μ and log σ² are tiled: the same numbers must come out.
    const weights = model.trainableVariables();
    let inside: Float32Array = new Float32Array();
    const { value, grads } = tf.variableGrads(() => {
      const w = model.logImportanceWeights!({ x }, 5, new Rng(2));
      inside = w.dataSync() as Float32Array;
      return tf.sum(w) as tf.Scalar;
    }, weights);
    expect(Array.from(inside)).toEqual(Array.from(outside.dataSync()));
    tf.dispose([value, ...Object.values(grads)]);
    // log w = log p(x|z) + log p(z) − log q(z|x) in float64 for draw 0 of example 1, from the same ε.
    const { mu, logVar } = tf.tidy(() => (model as unknown as { posterior(b: { x: tf.Tensor2D }): { mu: tf.Tensor2D; logVar: tf.Tensor2D } }).posterior({ x }));
    const eps = tf.randomNormal([3, 5, 2], 0, 1, 'float32', new Rng(2).seed());
    const [m, lv, e] = [mu.arraySync()[1], logVar.arraySync()[1], (eps.arraySync() as number[][][])[1][0]];
    const z = m.map((mi, i) => mi + Math.exp(0.5 * lv[i]) * e[i]);
    const logQ = z.reduce((s, _, i) => s - 0.5 * (e[i] ** 2 + lv[i] + Math.log(2 * Math.PI)), 0);
    const logPz = z.reduce((s, zi) => s - 0.5 * (zi ** 2 + Math.log(2 * Math.PI)), 0);
    const logits = tf.tidy(() => (model as unknown as { decodeRaw(z: tf.Tensor2D): { preact: tf.Tensor2D } }).decodeRaw(tf.tensor2d([z])).preact.dataSync());
    const xs = x.arraySync()[1];
    // −BCE with logits: x·l − log(1 + e^l), stably.
    const logPx = Array.from(logits).reduce((s, l, i) => s + xs[i] * l - Math.max(l, 0) - Math.log1p(Math.exp(-Math.abs(l))), 0);
    expect(outside.arraySync()[1][0]).toBeCloseTo(logPx + logPz - logQ, 1);
    tf.dispose([outside, mu, logVar, eps, x]);
    expect(tf.memory().numTensors).toBe(before - 1);
    model.dispose();
  });

  it('a learned-σ Gaussian decoder trains its per-pixel log σ² and reloads through the registered custom layer', async () => {
    const def = getModelDefinition('vae');
    const model = def.create(def.resolveConfig({ hidden: [16], latent: 2, decoder: 'gaussian', sigma: 'learned' }, data), new Rng(2));
    const x = tf.randomUniform([16, 784], 0, 1, 'float32', 4) as tf.Tensor2D;
    const optimizer = tf.train.adam(0.05);
    for (let i = 0; i < 5; i++) optimizer.minimize(() => model.forward({ x }, { training: true, epoch: 1, rng: new Rng(i) }).loss, false, model.trainableVariables());
    const logVar = model.networks.decoder.getLayer('decoder_log_var').getWeights()[0];
    expect(tf.max(tf.abs(logVar)).dataSync()[0]).toBeGreaterThan(0.1);
    const dir = tempDir();
    await saveNetwork(model.networks.decoder, dir);
    const json = JSON.parse(fs.readFileSync(`${dir}/model.json`, 'utf8'));
    expect(JSON.stringify(json.modelTopology)).toContain('PixelLogVariance');
    const reloaded = await loadNetwork(dir);
    const z = tf.randomNormal([3, 2], 0, 1, 'float32', 1);
    const [a, b] = [model.networks.decoder.predict(z) as tf.Tensor[], reloaded.predict(z) as tf.Tensor[]];
    expect(Array.from(b[1].dataSync())).toEqual(Array.from(a[1].dataSync()));
    expect(Array.from(b[0].dataSync())).toEqual(Array.from(a[0].dataSync()));
    optimizer.dispose();
    model.dispose();
  });

  it('--recon-weight is the Keras book loss: W · mean-pixel MSE + KL', () => {
    const def = getModelDefinition('vae');
    const model = def.create(def.resolveConfig({ hidden: [8], latent: 2, reconWeight: 1000 }, data), new Rng(3));
    const x = tf.randomUniform([4, 784], 0, 1, 'float32', 5) as tf.Tensor2D;
    const out = model.forward({ x }, { training: false, epoch: 1, rng: new Rng(1) });
    const mse = tf.mean(tf.squaredDifference(out.recon, x)).dataSync()[0];
    expect(out.terms.recon.dataSync()[0]).toBeCloseTo(mse, 5);
    expect(out.loss.dataSync()[0]).toBeCloseTo(1000 * mse + out.terms.kl.dataSync()[0], 2);
    model.dispose();
  });

  it('refuses bad settings with a clear message', () => {
    const def = getModelDefinition('vae');
    expect(() => def.resolveConfig({ latent: 0 }, data)).toThrow(/^latent must be ≥ 1, got 0/);
    expect(() => def.resolveConfig({ hidden: [400, 'x'] }, data)).toThrow(/^hidden/);
    expect(() => def.resolveConfig({ activation: 'swish' }, data)).toThrow(/^activation must be one of/);
    expect(() => def.resolveConfig({ sigma: 0.5 }, data)).toThrow(/only to decoder gaussian/);
    expect(() => def.resolveConfig({ k: 3 }, data)).toThrow(/^k is not an option of model 'vae'/);
  });
});
