import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasMnist, setup } from '../../../../test/helpers.js';
import { initBackend } from '../../../node/backend/index.js';
import { forEachBatch } from '../../data/batches.js';
import { loadDataset } from '../../data/load.js';
import type { Dataset } from '../../data/types.js';
import { Rng } from '../../random.js';
import { train } from '../../train/trainer.js';
import { getModelDefinition } from '../registry.js';
import type { Activation, Autoencoder, DataInfo } from '../types.js';
import { contractivePenalty, encodeWithSlopes, squaredJacobianNorms, type JacobianStrategy } from './jacobian.js';

beforeAll(async () => {
  await setup('cpu');
});

const tiny: DataInfo = { shape: [2, 3, 1], numClasses: 1 };

/**
 * A tiny CAE: 6 inputs, three hidden layers, a 2-unit code. Encoder kernels
 * are scaled up so that the Jacobian is far from zero (and well above float32
 * rounding in the finite differences) and the activations work in their curved range.
 */
function tinyCae(activation: Activation, seed = 3, hidden = [5, 4, 3]): Autoencoder {
  const gain = activation === 'sigmoid' ? 6 : 2.5; // σ' ≤ ¼: sigmoid layers need more gain
  const def = getModelDefinition('cae');
  const model = def.create(def.resolveConfig({ hidden, latent: 2, activation, contractiveWeight: 1 }, tiny), new Rng(seed));
  for (const layer of model.networks.encoder.layers) {
    if (layer.getClassName() === 'Dense') layer.setWeights(layer.getWeights().map((w, i) => (i === 0 ? tf.mul(w, gain) : w)));
  }
  return model;
}

/**
 * Mean over examples of ‖J‖²_F, J from central differences of the encoder's
 * output in each input. A small step, so that piecewise-linear activations
 * rarely cross a kink.
 */
function finiteDifferenceJacobianNorm(encoder: tfl.LayersModel, x: number[][], h = 1e-3): number {
  let total = 0;
  for (let i = 0; i < x[0].length; i++) {
    const shifted = (d: number) => (encoder.apply(tf.tensor2d(x.map((row) => row.map((v, j) => (j === i ? v + d : v))))) as tf.Tensor).arraySync() as number[][];
    const [up, down] = [shifted(h), shifted(-h)];
    up.forEach((row, n) => row.forEach((v, j) => (total += ((v - down[n][j]) / (2 * h)) ** 2)));
  }
  return total / x.length;
}

const inputs = [
  [0.1, 0.9, 0.4, 0.7, 0.2, 0.5],
  [0.8, 0.3, 0.6, 0.0, 1.0, 0.35],
  [0.45, 0.55, 0.05, 0.95, 0.6, 0.25],
];

describe('the contractive penalty ‖∂f(x)/∂x‖²_F', () => {
  for (const activation of ['tanh', 'sigmoid', 'relu', 'leaky-relu'] as Activation[]) {
    it(`equals central differences on a 6-5-4-3-2 ${activation} encoder`, () => {
      const model = tinyCae(activation);
      const exact = contractivePenalty(model.networks.encoder, tf.tensor2d(inputs)).dataSync()[0];
      const fd = finiteDifferenceJacobianNorm(model.networks.encoder, inputs);
      expect(exact).toBeGreaterThan(0.05);
      expect(Math.abs(exact - fd) / fd).toBeLessThan(2e-3);
      model.dispose();
    });
  }

  it('matches the closed form Σ_j (h_j(1−h_j))² Σ_i W_ij² of a one-layer sigmoid encoder', () => {
    const x = tfl.input({ shape: [6] });
    const dense = tfl.layers.dense({ units: 4, kernelInitializer: tfl.initializers.randomNormal({ stddev: 1, seed: 5 }), biasInitializer: 'ones' });
    const encoder = tfl.model({ inputs: x, outputs: tfl.layers.activation({ activation: 'sigmoid' }).apply(dense.apply(x)) as tfl.SymbolicTensor });
    const batch = tf.tensor2d(inputs);
    const h = encoder.apply(batch) as tf.Tensor2D;
    const columnNorms = tf.sum(tf.square(dense.getWeights()[0]), 0); // Σ_i W_ij², [4]
    const closedForm = tf.mean(tf.sum(tf.mul(tf.square(tf.mul(h, tf.sub(1, h))), columnNorms), 1)).dataSync()[0];
    expect(contractivePenalty(encoder, batch).dataSync()[0]).toBeCloseTo(closedForm, 6);
    encoder.dispose();
  });

  // The trainer minimizes forward(...).loss: the penalty must reach the first layer through it.
  for (const activation of ['tanh', 'sigmoid', 'relu', 'leaky-relu'] as Activation[]) {
    it(`its gradient in the first-layer kernel (${activation}, through forward) matches finite differences`, () => {
      const model = tinyCae(activation, 11);
      const batch = { x: tf.tensor2d(inputs) };
      const ctx = { training: true, epoch: 0, rng: new Rng(1) };
      const kernel = model.networks.encoder.getLayer('encoder_dense1').trainableWeights[0].read() as tf.Variable;
      const penalty = () => model.forward(batch, ctx).terms.contractive;
      const { grads } = tf.variableGrads(penalty, [kernel]);
      const analytic = grads[kernel.name].arraySync() as number[][];
      const k0 = kernel.arraySync() as number[][];
      const h = 1e-3; // small, so that ReLU-type units rarely switch sign within ±h
      const at = (i: number, j: number, d: number) => {
        kernel.assign(tf.tensor2d(k0.map((row, r) => row.map((v, c) => (r === i && c === j ? v + d : v)))));
        return penalty().dataSync()[0];
      };
      let maxError = 0;
      let maxGradient = 0;
      for (let i = 0; i < k0.length; i++) {
        for (let j = 0; j < k0[0].length; j++) {
          const fd = (at(i, j, h) - at(i, j, -h)) / (2 * h);
          maxError = Math.max(maxError, Math.abs(fd - analytic[i][j]));
          maxGradient = Math.max(maxGradient, Math.abs(analytic[i][j]));
        }
      }
      kernel.assign(tf.tensor2d(k0));
      expect(maxGradient).toBeGreaterThan(1e-3);
      expect(maxError).toBeLessThan(2e-3 * maxGradient);
      model.dispose();
    });
  }

  it('enters the loss as recon + λ·contractive and is computed on clean inputs', () => {
    const def = getModelDefinition('cae');
    const model = def.create(def.resolveConfig({ hidden: [5, 4], latent: 2, activation: 'tanh', contractiveWeight: 0.7 }, tiny), new Rng(2));
    const x = tf.tensor2d(inputs);
    const out = model.forward({ x }, { training: true, epoch: 0, rng: new Rng(1) });
    const [loss, recon, contractive] = [out.loss, out.terms.recon, out.terms.contractive].map((t) => t.dataSync()[0]);
    expect(Object.keys(out.terms)).toEqual(['recon', 'contractive']);
    expect(loss).toBeCloseTo(recon + 0.7 * contractive, 4);
    expect(contractive).toBeCloseTo(contractivePenalty(model.networks.encoder, x).dataSync()[0], 6);
    expect(out.z.arraySync()).toEqual(model.encode({ x }).arraySync());
    tf.dispose([out.loss, out.z, out.recon, ...Object.values(out.terms)]);
    // Optimizer steps leave no tensors behind (the first creates Adam's slots).
    const optimizer = tf.train.adam(1e-3);
    const step = () => optimizer.minimize(() => model.forward({ x }, { training: true, epoch: 0, rng: new Rng(1) }).loss, false, model.trainableVariables());
    step();
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    model.dispose();
  });
});

/** σ and σ' in float64 of the encoder activations. */
const FLOAT64_ACTIVATIONS: Record<string, [(a: number) => number, (a: number) => number]> = {
  relu: [(a) => Math.max(a, 0), (a) => (a > 0 ? 1 : 0)],
  tanh: [Math.tanh, (a) => 1 - Math.tanh(a) ** 2],
  sigmoid: [(a) => 1 / (1 + Math.exp(-a)), (a) => Math.exp(-a) / (1 + Math.exp(-a)) ** 2],
  'leaky-relu': [(a) => (a > 0 ? a : 0.2 * a), (a) => (a > 0 ? 1 : 0.2)],
};

/**
 * ‖J‖²_F of each example in float64, J = ∂code/∂x carried forwards as an
 * [input, width] matrix through every Dense kernel and activation slope
 * (independent of jacobian.ts, and of TensorFlow.js beyond reading the weights).
 */
function float64JacobianNorms(encoder: tfl.LayersModel, activation: string, x: number[][]): number[] {
  const [act, slope] = FLOAT64_ACTIVATIONS[activation];
  return x.map((row) => {
    let h = row;
    let jac: number[][] = row.map((_, i) => row.map((__, j) => (i === j ? 1 : 0)));
    for (const layer of encoder.layers) {
      if (layer.getClassName() === 'Dense') {
        const [w, b] = layer.getWeights().map((t) => t.arraySync()) as [number[][], number[]];
        h = b.map((bj, j) => h.reduce((sum, hi, i) => sum + hi * w[i][j], bj));
        jac = jac.map((r) => b.map((_, j) => r.reduce((sum, v, i) => sum + v * w[i][j], 0)));
      } else if (layer.getClassName() !== 'InputLayer') {
        jac = jac.map((r) => r.map((v, j) => v * slope(h[j])));
        h = h.map(act);
      }
    }
    return jac.flat().reduce((sum, v) => sum + v * v, 0);
  });
}

describe('the penalty by the chain and through the Gram matrix of the first kernel', () => {
  const strategies: JacobianStrategy[] = ['auto', 'chain', 'gram'];
  const norms = (model: Autoencoder, x: tf.Tensor2D, strategy: JacobianStrategy) =>
    tf.tidy(() => squaredJacobianNorms(model.networks.encoder, encodeWithSlopes(model.networks.encoder, x).slopes, strategy));

  for (const activation of ['tanh', 'sigmoid', 'relu', 'leaky-relu'] as Activation[]) {
    for (const hidden of [[5], [5, 4], [5, 4, 3]]) {
      it(`${activation}, hidden ${hidden.join('-')}: every strategy equals float64, and their gradients agree`, () => {
        const model = tinyCae(activation, hidden.length + 7, hidden);
        const x = tf.tensor2d(inputs);
        const expected = float64JacobianNorms(model.networks.encoder, activation, inputs);
        expect(Math.min(...expected)).toBeGreaterThan(1e-3);
        for (const strategy of strategies) {
          const got = norms(model, x, strategy);
          Array.from(got.dataSync()).forEach((v, i) => expect(Math.abs(v - expected[i]) / expected[i]).toBeLessThan(1e-5));
          got.dispose();
        }
        // The gradients in every encoder weight, Gram against chain.
        const weights = model.networks.encoder.trainableWeights.map((w) => w.read() as tf.Variable);
        const gradients = (strategy: JacobianStrategy) => {
          const { value, grads } = tf.variableGrads(() => tf.mean(norms(model, x, strategy)) as tf.Scalar, weights);
          value.dispose();
          return weights.map((w) => grads[w.name]);
        };
        const [chain, gram] = [gradients('chain'), gradients('gram')];
        chain.forEach((g, i) => {
          // The code layer's bias does not enter J: no gradient either way.
          expect(g == null).toBe(gram[i] == null);
          if (g == null) return;
          const scale = Math.max(1e-6, tf.max(tf.abs(g)).dataSync()[0]);
          const diff = tf.max(tf.abs(tf.sub(g, gram[i]))).dataSync()[0];
          expect(diff).toBeLessThan(1e-5 * scale);
        });
        tf.dispose([...chain, ...gram].filter((g) => g != null));
        x.dispose();
        model.dispose();
      });
    }
  }

  it('leaves no tensors behind', () => {
    const def = getModelDefinition('cae');
    const model = def.create(def.resolveConfig({ hidden: [5, 4], latent: 2, activation: 'tanh' }, tiny), new Rng(1));
    const x = tf.tensor2d(inputs);
    const before = tf.memory().numTensors;
    for (const strategy of strategies) norms(model, x, strategy).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});

/** Mean ‖J‖²_F of the encoder over a dataset. */
function meanSensitivity(model: Autoencoder, ds: Dataset): number {
  let sum = 0;
  forEachBatch(ds, 250, (batch, start, end) => {
    sum += tf.tidy(() => contractivePenalty(model.networks.encoder, batch.x).dataSync()[0]) * (end - start);
  });
  return sum / ds.n;
}

describe(`training with the penalty (${hasMnist ? 'MNIST' : 'sprites'})`, () => {
  beforeAll(async () => {
    // Training needs speed, not the cpu backend's exactness.
    await initBackend('wasm');
  });

  it('leaves the encoder less sensitive on held-out data than λ = 0, same seed', async () => {
    const name = hasMnist ? 'mnist' : 'sprites';
    const trainSet = await loadDataset(name, { split: 'train', limit: 2000 });
    const testSet = await loadDataset(name, { split: 'test', limit: 500 });
    const def = getModelDefinition('cae');
    const results = [];
    // λ = 1 rather than the default 0.1, so that a short run on a small net shows the effect clearly.
    for (const contractiveWeight of [0, 1]) {
      const model = def.create(def.resolveConfig({ hidden: [64], latent: 8, contractiveWeight }, { shape: trainSet.shape, numClasses: trainSet.numClasses }), new Rng(4));
      const { metrics } = await train(model, trainSet, testSet, { epochs: 3, batchSize: 32, lr: 2e-3, seed: 4 });
      results.push({ sensitivity: meanSensitivity(model, testSet), recon: metrics.at(-1)!.test_recon });
      model.dispose();
    }
    const [free, penalized] = results;
    console.info(
      `cae ${name}: held-out mean ‖J‖²_F ${free.sensitivity.toFixed(2)} with λ = 0, ${penalized.sensitivity.toFixed(2)} with λ = 1; ` +
        `test_recon ${free.recon.toFixed(2)} vs ${penalized.recon.toFixed(2)}`,
    );
    // Measured: sprites 36.0 → 5.4, MNIST 21.6 → 4.0, with no worse reconstruction.
    expect(penalized.sensitivity).toBeLessThan(0.6 * free.sensitivity);
  });
});

describe('configuration', () => {
  const data: DataInfo = { shape: [28, 28, 1], numClasses: 10 };

  it('has the ae fields plus contractiveWeight (default 0.1), and a saved config resolves to itself', () => {
    const def = getModelDefinition('cae');
    const config = def.resolveConfig({ hidden: [128], latent: 16 }, data);
    expect(config).toMatchObject({ model: 'cae', hidden: [128], latent: 16, loss: 'bce', contractiveWeight: 0.1 });
    expect(def.resolveConfig(JSON.parse(JSON.stringify(config)) as Record<string, unknown>, data)).toEqual(config);
    expect(def.resolveConfig({ contractiveWeight: 0 }, data)).toMatchObject({ contractiveWeight: 0 });
  });

  it('refuses a negative weight, a non-MLP encoder and options of other models', () => {
    const def = getModelDefinition('cae');
    expect(() => def.resolveConfig({ contractiveWeight: -0.1 }, data)).toThrow(/^contractiveWeight must be ≥ 0, got -0.1/);
    expect(() => def.resolveConfig({ contractiveWeight: 'lots' }, data)).toThrow(/^contractiveWeight must be a number/);
    expect(() => def.resolveConfig({ arch: 'conv' }, data)).toThrow(/MLP encoders only/);
    expect(() => def.resolveConfig({ noise: 'mask:0.3' }, data)).toThrow(/^noise is not an option of model 'cae'/);
    expect(() => def.resolveConfig({ beta: 2 }, data)).toThrow(/^beta is not an option of model 'cae'/);
  });
});
