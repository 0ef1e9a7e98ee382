/**
 * Every registered model must pass this suite (after Pythae): build, forward
 * shapes, one step lowers the loss, save/reload is exact, no tensor leaks.
 * A new model folder is picked up here with no change to this file.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/core/data/load.js';
import { makeBatch, disposeBatch } from '../src/core/data/batches.js';
import type { Dataset } from '../src/core/data/types.js';
import { listModelDefinitions } from '../src/core/models/registry.js';
import type { Autoencoder, Batch, ModelDefinition } from '../src/core/models/types.js';
import { Rng } from '../src/core/random.js';
import { UsageError } from '../src/core/errors.js';
import type { RunConfig } from '../src/core/run/config.js';
import { restoreModel, saveModel } from '../src/core/run/run.js';
import { MemoryRunStore } from '../src/core/run/store.js';
import { setup } from './helpers.js';

await setup('wasm');
const definitions = listModelDefinitions();
let data: Dataset;

beforeAll(async () => {
  data = await loadDataset('sprites', { split: 'train', limit: 64 });
});

type Arch = 'mlp' | 'conv';

function resolve(def: ModelDefinition, arch: Arch) {
  const input = { ...def.exampleInput, hidden: [24], latent: 3, arch };
  return def.resolveConfig(input, { shape: data.shape, numClasses: data.numClasses });
}

/** Whether the model takes this architecture; a model may refuse one, but only with a UsageError naming it. */
function supports(def: ModelDefinition, arch: Arch): boolean {
  try {
    resolve(def, arch);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(new RegExp(arch));
    return false;
  }
}

let currentArch: Arch = 'mlp';
function build(def: ModelDefinition): Autoencoder {
  return def.create(resolve(def, currentArch), new Rng(0));
}

function lossOn(model: Autoencoder, batch: Batch): number {
  return tf.tidy(() => model.forward(batch, { training: false, epoch: 1, rng: new Rng(99) }).loss.dataSync()[0]);
}

it('the registry holds every model of the family', () => {
  expect(definitions.map((d) => d.name)).toEqual(expect.arrayContaining(['ae', 'vae']));
});

const cases = definitions.flatMap((d) => (['mlp', 'conv'] as const).map((arch) => [d.name, arch, d] as const));

describe.each(cases)('model %s, --arch %s', (_name, arch, def) => {
  beforeAll(() => {
    currentArch = arch;
  });
  const skipIfRefused = () => {
    currentArch = arch;
    return !supports(def, arch);
  };

  it('builds, and its forward pass returns the output contract with the right shapes', (ctx) => {
    if (skipIfRefused()) return ctx.skip();
    const model = build(def);
    const batch = makeBatch(data, null, 0, 8);
    tf.tidy(() => {
      const out = model.forward(batch, { training: true, epoch: 0, rng: new Rng(1) });
      expect(out.loss.shape).toEqual([]);
      expect(Number.isFinite(out.loss.dataSync()[0])).toBe(true);
      expect(Object.keys(out.terms)).toContain('recon');
      for (const term of Object.values(out.terms)) expect(term.shape).toEqual([]);
      expect(out.z.shape).toEqual([8, 3]);
      expect(out.recon.shape).toEqual([8, 784]);
      expect(model.encode(batch).shape).toEqual([8, 3]);
      expect(model.decode(tf.zeros([2, 3]) as tf.Tensor2D, tf.tensor1d([0, 1], 'int32')).shape).toEqual([2, 784]);
    });
    disposeBatch(batch);
    model.dispose();
  });

  it('one training step lowers the loss on a fixed batch, without leaking tensors', (ctx) => {
    if (skipIfRefused()) return ctx.skip();
    const model = build(def);
    const batch = makeBatch(data, null, 0, 32);
    const optimizer = tf.train.adam(1e-3);
    const before = lossOn(model, batch);
    const step = () => optimizer.minimize(() => model.forward(batch, { training: true, epoch: 1, rng: new Rng(7) }).loss, false, model.trainableVariables());
    step(); // Adam creates its moment variables on the first step
    const tensors = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(lossOn(model, batch)).toBeLessThan(before);
    optimizer.dispose();
    disposeBatch(batch);
    model.dispose();
  });

  it('save then reload through the registry gives identical outputs', async (ctx) => {
    if (skipIfRefused()) return ctx.skip();
    const model = build(def);
    const store = new MemoryRunStore();
    await saveModel(store, model);
    const config = { model: model.config, networks: Object.keys(model.networks) } as unknown as RunConfig;
    const reloaded = await restoreModel(config, store);
    const batch = makeBatch(data, null, 0, 8);
    const z = tf.randomNormal([4, 3], 0, 1, 'float32', 5) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 1, 2, 3], 'int32');
    tf.tidy(() => {
      expect(Array.from(reloaded.encode(batch).dataSync())).toEqual(Array.from(model.encode(batch).dataSync()));
      expect(Array.from(reloaded.decode(z, labels).dataSync())).toEqual(Array.from(model.decode(z, labels).dataSync()));
      expect(lossOn(reloaded, batch)).toBe(lossOn(model, batch));
    });
    tf.dispose([z, labels]);
    disposeBatch(batch);
    model.dispose();
    reloaded.dispose();
  });
});
