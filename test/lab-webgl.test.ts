/**
 * The GPU path, checked where there is no GPU: the lab's worker trains a
 * small VAE on WebGL (forced onto SwiftShader, software WebGL 2 in
 * float32) and on wasm from the same weights and data, and the gradients
 * and the losses over a few steps agree within float32 rounding.
 *
 * Tolerances. Both backends compute in float32 (unit roundoff u = 2⁻²⁴ ≈
 * 6·10⁻⁸) but sum in different orders (WebGL: 4-wide dot products in a
 * shader; wasm: latentkit's SIMD panels) and with their own exp/log. A sum
 * of K products then differs by about √K·u relative to its terms (K ≤ 784
 * here: ~1.7·10⁻⁶), and a gradient goes through about ten such sums and
 * pointwise functions forward and back, so 1·10⁻⁵ of each variable's
 * largest gradient holds the rounding with room (measured: ~4·10⁻⁷), while
 * a wrong kernel (a transposed operand, a missing bias or term) is off by
 * order one. Plain SGD moves the weights by lr·g, so the losses of an SGD
 * run stay within the same relative 1·10⁻⁵ (measured ~3·10⁻⁷). Adam does
 * not: it rescales every gradient component to a step of about ±lr, so a
 * component whose gradient is within the rounding noise (|g| ≲ 10⁻⁶ of the
 * largest) can step by lr in opposite directions on the two backends; over
 * four steps at lr 10⁻³ that moves the loss by ~3·10⁻⁵ of itself
 * (measured), so Adam's losses get 2·10⁻⁴, still far below what a wrong
 * update (the loss barely moving, or moving by the whole decrease, ~4·10⁻²
 * here) would give.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLab, startLab, type Lab } from './lab-page.js';

let lab: Lab;

beforeAll(async () => {
  // SwiftShader for WebGL whatever the machine has, so the test means the same everywhere.
  lab = await startLab(['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist']);
}, 60_000);

afterAll(async () => {
  await lab?.close();
});

interface Trained {
  backend: string;
  names: string[];
  weights: number[][];
  gradients: number[][];
  loss: number;
  sgd: number[];
  adam: number[];
  tensorsLeft: number;
}

/** Largest |x − y| over the largest |y|. */
function relative(x: number[], y: number[]): number {
  let diff = 0;
  let scale = 0;
  y.forEach((v, i) => ((diff = Math.max(diff, Math.abs(x[i]! - v))), (scale = Math.max(scale, Math.abs(v)))));
  return diff / scale;
}

describe('WebGL against wasm in the lab', () => {
  it('a small VAE: the same gradients and losses over four SGD and four Adam steps, within float32 rounding', async () => {
    const { worker, errors } = await openLab(lab, 'backend=wasm');
    const { renderer, runs } = await worker.evaluate(async () => {
      type Lib = typeof import('../src/browser.js') & { tf: typeof import('@tensorflow/tfjs-core') };
      const L = (self as unknown as { latentkitWorker: Lib }).latentkitWorker;
      const tf = L.tf;
      const gl = new OffscreenCanvas(1, 1).getContext('webgl2')!;
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      const data = await L.loadDataset('sprites', { split: 'train', limit: 64 });
      const def = L.getModelDefinition('vae');
      const config = def.resolveConfig({ hidden: [64], latent: 4 }, { shape: data.shape, numClasses: data.numClasses });
      const values = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

      /** Gradients at the start, then the losses of four steps of each optimizer from there (the same noise on both backends: tf.randomNormal is drawn in JavaScript from the seed). */
      async function train(backend: 'wasm' | 'webgl', start?: number[][]) {
        const name = await L.initBackend(backend);
        const before = tf.memory().numTensors;
        const model = def.create(config, new L.Rng(1));
        const vars = model.trainableVariables();
        const setWeights = (w: number[][]) => vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(w[i]!, v.shape))));
        if (start) setWeights(start);
        const weights = vars.map(values);
        const reset = () => setWeights(weights);
        const x = tf.tensor2d(L.gatherRows(data, Array.from({ length: 64 }, (_, i) => i)), [64, 784]);
        const lossOf = (rng: InstanceType<typeof L.Rng>) => () => model.forward({ x }, { training: true, epoch: 0, rng }).loss;
        const { value, grads } = tf.variableGrads(lossOf(new L.Rng(9)), vars);
        const gradients = vars.map((v) => values(grads[v.name]!));
        const loss = value.dataSync()[0]!;
        tf.dispose([value, ...Object.values(grads)]);
        const steps = (optimizer: import('@tensorflow/tfjs-core').Optimizer) => {
          reset();
          const rng = new L.Rng(5);
          const losses: number[] = [];
          for (let s = 0; s < 4; s++) {
            const cost = optimizer.minimize(lossOf(rng), true, vars)!;
            losses.push(cost.dataSync()[0]!);
            cost.dispose();
          }
          optimizer.dispose();
          return losses;
        };
        const sgd = steps(tf.train.sgd(1e-4));
        const adam = steps(L.adam(1e-3));
        x.dispose();
        model.dispose();
        return { backend: name, names: vars.map((v) => v.name), weights, gradients, loss, sgd, adam, tensorsLeft: tf.memory().numTensors - before };
      }
      const wasm = await train('wasm');
      const webgl = await train('webgl', wasm.weights);
      await L.initBackend('wasm');
      return { renderer, runs: [wasm, webgl] };
    });
    const [wasm, webgl] = runs as [Trained, Trained];
    expect(renderer).toMatch(/SwiftShader/);
    expect([wasm.backend, webgl.backend]).toEqual(['wasm', 'webgl']);
    expect(webgl.weights).toEqual(wasm.weights);
    expect(webgl.names).toHaveLength(10);
    webgl.gradients.forEach((g, i) => expect(relative(g, wasm.gradients[i]!), `gradient of ${webgl.names[i]}`).toBeLessThan(1e-5));
    expect(Math.abs(webgl.loss - wasm.loss) / wasm.loss).toBeLessThan(1e-5);
    webgl.sgd.forEach((l, s) => expect(Math.abs(l - wasm.sgd[s]!) / wasm.sgd[s]!, `SGD step ${s}`).toBeLessThan(1e-5));
    webgl.adam.forEach((l, s) => expect(Math.abs(l - wasm.adam[s]!) / wasm.adam[s]!, `Adam step ${s}`).toBeLessThan(2e-4));
    // Training moved: Adam's last loss is well below its first on both.
    expect(wasm.adam[3]! / wasm.adam[0]!).toBeLessThan(0.99);
    expect([wasm.tensorsLeft, webgl.tensorsLeft]).toEqual([0, 0]);
    expect(errors).toEqual([]);
  }, 90_000);
});
