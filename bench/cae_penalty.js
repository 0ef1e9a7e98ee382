#!/usr/bin/env node
// The contractive penalty's cost: one training step (forward and gradients, no optimizer) of the
// ae and of the cae on 128 random images, and the penalty alone by each strategy of
// squaredJacobianNorms (chain: the Jacobian rows through every kernel; gram: the first kernel
// through its Gram matrix; auto: what the cae uses), on one thread of the wasm backend.
//
//   npm run build && node bench/cae_penalty.js
//
// Prints one JSON line per encoder shape: medians of CPU ms per step (CPU time of this
// process, which a loaded machine inflates less than wall time) and wall ms.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, getModelDefinition, Rng } from '../dist/index.js';
import { setComputeThreads } from '../dist/node/backend/threads.js';
import { encodeWithSlopes, squaredJacobianNorms } from '../dist/core/models/cae/jacobian.js';

await initBackend('wasm');
setComputeThreads(1);
const x = tf.randomUniform([128, 784]);
const data = { shape: [28, 28, 1], numClasses: 10 };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function measure(fn, repeats) {
  for (let i = 0; i < 2; i++) fn();
  const [cpu, wall] = [[], []];
  for (let i = 0; i < repeats; i++) {
    const [c0, t0] = [process.cpuUsage(), performance.now()];
    fn();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    wall.push(performance.now() - t0);
  }
  return { cpu_ms: +median(cpu).toFixed(1), wall_ms: +median(wall).toFixed(1) };
}

const gradientStep = (loss, vars) => () => {
  const { value, grads } = tf.variableGrads(loss, vars);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads).filter((g) => g != null)]);
};

for (const [hidden, latent] of [[[400], 20], [[512, 256], 32]]) {
  const models = Object.fromEntries(['ae', 'cae'].map((name) => {
    const def = getModelDefinition(name);
    return [name, def.create(def.resolveConfig({ hidden, latent }, data), new Rng(0))];
  }));
  const ctx = { training: true, epoch: 1, rng: new Rng(1) };
  const step = (m) => gradientStep(() => m.forward({ x }, ctx).loss, m.trainableVariables());
  const encoder = models.cae.networks.encoder;
  const weights = encoder.trainableWeights.map((w) => w.read());
  const penalty = (strategy) => gradientStep(() => tf.mean(squaredJacobianNorms(encoder, encodeWithSlopes(encoder, x).slopes, strategy)), weights);
  const row = { name: `cae penalty, encoder 784-${hidden.join('-')}-${latent}, batch 128, 1 thread`, ae_step: measure(step(models.ae), 7), cae_step: measure(step(models.cae), 5) };
  for (const strategy of ['chain', 'gram', 'auto']) row[`penalty_${strategy}`] = measure(penalty(strategy), 5);
  row.cae_over_ae_cpu = +(row.cae_step.cpu_ms / row.ae_step.cpu_ms).toFixed(1);
  row.cae_over_ae_cpu_with_chain = +((row.ae_step.cpu_ms + row.penalty_chain.cpu_ms) / row.ae_step.cpu_ms).toFixed(1);
  console.log(JSON.stringify(row));
  Object.values(models).forEach((m) => m.dispose());
}
process.exit(0);
