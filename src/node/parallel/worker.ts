/**
 * Entry of a data-parallel training worker: its own backend, its own replica
 * of the model with the main thread's weights, and then a blocking loop of
 * steps driven through shared memory until the main thread says stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, setComputeThreads, type BackendChoice } from '../backend/index.js';
import { getModelDefinition } from '../../core/models/registry.js';
import type { Autoencoder } from '../../core/models/types.js';
import { Rng } from '../../core/random.js';
import { abortBarrier, BarrierAborted, barrierSync } from './barrier.js';
import type { Fault, WorkerInit, WorkerMessage } from './protocol.js';
import { createOptimizer } from '../../core/train/optimizer.js';
import { Replica } from './replica.js';
import { Command, StepField, viewShared } from './shared.js';

const init = workerData as WorkerInit;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

async function buildReplica(): Promise<{ model: Autoencoder; optimizer: tf.Optimizer }> {
  await initBackend(init.backend as BackendChoice);
  // Every core already runs a replica.
  setComputeThreads(1);
  const model = getModelDefinition(init.config.model).create(init.config, new Rng(0));
  for (const [name, net] of Object.entries(model.networks)) {
    const current = net.getWeights();
    net.setWeights(init.networkWeights[name].map((w, i) => tf.tensor(w, current[i].shape)));
  }
  model.trainableVariables().forEach((v, i) => v.assign(tf.tensor(init.variables[i], v.shape)));
  const optimizer = createOptimizer(init.lr);
  if (init.optimizerWeights) await optimizer.setWeights(init.optimizerWeights.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape, w.dtype) })));
  return { model, optimizer };
}

function injectFault(fault: Fault, step: number): void {
  if (fault.kind === 'exit') process.exit(3);
  throw new Error(`worker ${init.k}: injected failure at step ${step}`);
}

function loop(replica: Replica): void {
  const views = replica.views;
  const n = views.sizes.participants;
  for (let stepNumber = 1; ; stepNumber++) {
    // Between epochs the main thread evaluates and saves: no deadline here.
    barrierSync(views.control, n, Infinity);
    if (views.step[StepField.Command] === Command.Stop) return;
    if (stepNumber === init.fault?.atStep) injectFault(init.fault, stepNumber);
    replica.computeShard();
    barrierSync(views.control, n, init.timeoutMs);
    replica.apply();
  }
}

async function main(): Promise<void> {
  const views = viewShared(init.shared);
  let built;
  try {
    built = await buildReplica();
  } catch (err) {
    post({ type: 'error', message: (err as Error).message, unknownModel: /unknown model/.test((err as Error).message) });
    return;
  }
  post({ type: 'ready' });
  try {
    loop(new Replica(init.k, built.model, built.optimizer, views));
    post({ type: 'stopped' });
  } catch (err) {
    if (!(err instanceof BarrierAborted)) {
      abortBarrier(views.control);
      post({ type: 'error', message: (err as Error).message });
    }
  } finally {
    built.optimizer.dispose();
    built.model.dispose();
  }
}

void main();
