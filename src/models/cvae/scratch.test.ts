import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, it } from 'vitest';
import { setup } from '../../../test/helpers.js';
import { disposeBatch, makeBatch } from '../../data/batches.js';
import { loadDataset } from '../../data/load.js';
import { featureSize, type Dataset } from '../../data/types.js';
import { Rng } from '../../random.js';
import { train } from '../../train/trainer.js';
import { getModelDefinition } from '../registry.js';
import * as fs from 'node:fs';
import { renderGenerated } from '../../train/snapshots.js';

beforeAll(async () => { await setup('wasm'); });

function trainClassifier(ds: Dataset, epochs: number, seed: number) {
  const rng = new Rng(seed);
  const dim = featureSize(ds);
  const k = ds.numClasses;
  const w1 = tf.variable(tf.randomNormal([dim, 128], 0, Math.sqrt(2 / dim), 'float32', rng.seed()));
  const b1 = tf.variable(tf.zeros([128]));
  const w2 = tf.variable(tf.randomNormal([128, k], 0, Math.sqrt(1 / 128), 'float32', rng.seed()));
  const b2 = tf.variable(tf.zeros([k]));
  const logits = (x: tf.Tensor2D) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
  const optimizer = tf.train.adam(1e-3);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = rng.permutation(ds.n);
    for (let start = 0; start < ds.n; start += 100) {
      const batch = makeBatch(ds, order, start, Math.min(ds.n, start + 100));
      optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(batch.labels!, k), logits(batch.x)) as tf.Scalar);
      disposeBatch(batch);
    }
  }
  return (x: tf.Tensor2D) => tf.tidy(() => tf.argMax(logits(x), 1).dataSync() as Int32Array);
}

const CONFIGS = JSON.parse(process.env.CFG ?? '[{"lr":0.001,"bs":100}]');
it('explore', async () => {
  const name = process.env.DS ?? 'mnist';
  const trainSet = await loadDataset(name, { split: 'train', limit: 10000 });
  const testSet = await loadDataset(name, { split: 'test', limit: 2000 });
  const k = trainSet.numClasses;
  const predict = trainClassifier(trainSet, Number(process.env.CE ?? 3), 17);
  const real = makeBatch(testSet, null, 0, testSet.n);
  const p = predict(real.x);
  let r = 0; for (let i = 0; i < p.length; i++) if (p[i] === testSet.labels[i]) r++;
  console.info('real acc', r / p.length);
  for (const cfg of CONFIGS) {
    const def = getModelDefinition('cvae');
    const model = def.create(def.resolveConfig({ hidden: cfg.hidden ?? [256], latent: cfg.latent ?? 8, ...(cfg.extra ?? {}) }, { shape: trainSet.shape, numClasses: k }), new Rng(cfg.seed ?? 5));
    const t0 = performance.now();
    await train(model, trainSet, testSet, { epochs: cfg.epochs ?? 5, batchSize: cfg.bs, lr: cfg.lr, seed: cfg.seed ?? 5, onEpoch: (m) => {
      const perLabel = 50;
      const labels = Array.from({ length: k * perLabel }, (_, i) => Math.floor(i / perLabel));
      const z = tf.randomNormal([labels.length, cfg.latent ?? 8], 0, 1, 'float32', 23) as tf.Tensor2D;
      const s = model.decode(z, tf.tensor1d(labels, 'int32'));
      const q = predict(s);
      let a = 0; const conf = new Array(k).fill(0);
      for (let i = 0; i < q.length; i++) { if (q[i] === labels[i]) a++; conf[q[i]]++; }
      console.info(JSON.stringify(cfg), 'epoch', m.epoch, 'acc', a / q.length, 'predicted counts', conf.join(','), 'recon', m.test_recon.toFixed(1), 'kl', m.test_kl.toFixed(2), 's', ((performance.now() - t0) / 1000).toFixed(1));
    } });
    fs.writeFileSync(`/tmp/cvae-scratch-${JSON.stringify(cfg).replace(/[^a-z0-9]/gi,'')}.png`, renderGenerated(model, 3, 100, Array.from({length:100},(_, i)=>i%10)));
    const b = makeBatch(testSet, null, 0, 1000);
    const acc = (q: Int32Array, l: ArrayLike<number>) => { let a=0; for (let i=0;i<q.length;i++) if (q[i]===l[i]) a++; return a/q.length; };
    const mu = model.encode(b);
    console.info('recon acc', acc(predict(model.decode(mu, b.labels)), testSet.labels));
    const shifted = tf.tensor1d(Array.from(b.labels!.dataSync()).map((v) => (v + 1) % 10), 'int32');
    console.info('mu(x,y) decoded with y+1: acc vs y+1', acc(predict(model.decode(mu, shifted)), shifted.dataSync()), 'vs y', acc(predict(model.decode(mu, shifted)), testSet.labels));
    const labels = Array.from({ length: 1000 }, (_, i) => i % 10);
    console.info('z=0 acc', acc(predict(model.decode(tf.zeros([1000, cfg.latent ?? 8]), tf.tensor1d(labels,'int32'))), labels));
    const z = tf.randomNormal([1000, cfg.latent ?? 8], 0, 0.5, 'float32', 3) as tf.Tensor2D;
    console.info('z~N(0,.25) acc', acc(predict(model.decode(z, tf.tensor1d(labels,'int32'))), labels));
  }
}, 600000);
