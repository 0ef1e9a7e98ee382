import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadBuiltinModels, getModelDefinition, generateSprites, makeBatch, disposeBatch, Rng } from '../dist/index.js';
const backend = process.argv[2] ?? 'wasm';
await initBackend(backend);
await loadBuiltinModels();
const data = generateSprites({ split: 'train', n: 2560, seed: 1 });
data.shape; 
const def = getModelDefinition('vae');
const cfg = def.resolveConfig({ ...def.exampleInput }, { shape: [28,28,1], numClasses: 10 });
console.log(cfg.hidden, cfg.latent, data.shape);
const m = def.create(cfg, new Rng(0));
const { adam } = await import('../dist/train/optimizers/adam.js');
const optimizer = process.argv.includes('--stock-adam') ? tf.train.adam(1e-3) : adam(1e-3);
const rng = new Rng(1);
const x = tf.randomUniform([128, 784]);
const batch = { x, labels: tf.zeros([128], 'int32') };
// kernel timing wrapper
const times = new Map();
const doWrap = process.argv.includes('--kernels');
if (doWrap) {
  for (const k of tf.getKernelsForBackend(backend)) {
    const orig = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({ ...k, kernelFunc: (args) => { const t = performance.now(); const r = orig(args); const d = performance.now() - t; const e = times.get(k.kernelName) ?? { n: 0, ms: 0 }; e.n++; e.ms += d; times.set(k.kernelName, e); return r; } });
  }
}
const step = () => {
  const loss = optimizer.minimize(() => m.forward(batch, { training: true, epoch: 1, rng }).loss, true, m.trainableVariables());
  loss.dataSync(); loss.dispose();
};
for (let i = 0; i < 5; i++) step();
times.clear();
const N = 30;
const t0 = performance.now();
for (let i = 0; i < N; i++) step();
const ms = (performance.now() - t0) / N;
console.log('ms/step', ms.toFixed(1));
let tot = 0;
const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => { tot += v.ms; return [k, v.n / N, (v.ms / N).toFixed(2)]; });
for (const r of rows.slice(0, 30)) console.log(r.join('\t'));
console.log('kernel total ms/step', (tot / N).toFixed(1));
