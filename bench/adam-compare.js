// Interleaved timing of one Adam step over the VAE's variables: tf.train.adam vs latentkit's fused kernel.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../dist/index.js';
import { adam } from '../dist/train/optimizers/adam.js';
await initBackend(process.argv[2] ?? 'wasm');
const shapes = [[784, 400], [400], [400, 20], [20], [400, 20], [20], [20, 400], [400], [400, 784], [784]];
const make = (p) => shapes.map((s, i) => tf.variable(tf.randomNormal(s), true, `${p}${i}`));
const grads = shapes.map((s) => tf.randomNormal(s));
const sets = { stock: [tf.train.adam(1e-3), make('a')], fused: [adam(1e-3), make('b')] };
const times = { stock: [], fused: [] };
for (let r = 0; r < 40; r++) {
  for (const k of ['stock', 'fused']) {
    const [opt, vars] = sets[k];
    const t = performance.now();
    opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
    vars[0].dataSync();
    if (r >= 5) times[k].push(performance.now() - t);
  }
}
const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
console.log(JSON.stringify({ stock_ms: median(times.stock).toFixed(2), fused_ms: median(times.fused).toFixed(2) }));
