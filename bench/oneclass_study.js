#!/usr/bin/env node
// The study behind the detector recipe (docs/guides/detect.md): one-class MNIST
// ROC-AUC of one model configuration on a few digits, each trained model scored
// two ways, by binary cross-entropy and by squared error of its reconstructions
// (and by −ELBO with 8 draws for the VAE family). In-process: the library's
// train() and scoreDataset() with the CLI's training defaults.
//
//   npx tsc -p tsconfig.build.json
//   LATENTKIT_DATA_DIR=... LATENTKIT_THREADS=1 node bench/oneclass_study.js '{"model":"ae","loss":"mse","epochs":10}' 2,3,8 [seeds]
//
// The JSON holds the model's settings plus epochs, lr, batchSize, binarize ('dynamic'); one JSON line per digit and seed.
import { initBackend, getModelDefinition, loadDataset, train, Rng } from '../dist/index.js';
import { rocAuc } from '../dist/core/eval/metrics/index.js';
import { scoreDataset } from '../dist/core/apps/detect/index.js';
import { selectClasses } from '../dist/core/data/select.js';

const [configText, digitsText = '2,3,8', seedsText = '0'] = process.argv.slice(2);
if (!configText) throw new Error('usage: node bench/oneclass_study.js CONFIG_JSON [DIGITS] [SEEDS]');
const { model: name = 'ae', epochs = 10, lr = 1e-3, batchSize = 128, binarize, ...settings } = JSON.parse(configText);
await initBackend('wasm');
const trainAll = await loadDataset('mnist', { split: 'train', quiet: true });
const test = await loadDataset('mnist', { split: 'test', quiet: true });

async function measure(digit, seed) {
  const normal = selectClasses(trainAll, [digit]);
  const truth = Int32Array.from(test.labels, (l) => (l === digit ? 0 : 1));
  const def = getModelDefinition(name);
  const model = def.create(def.resolveConfig(settings, { shape: [28, 28, 1], numClasses: 10, examples: normal.n }), new Rng(seed));
  const t0 = performance.now();
  await train(model, normal, test, { epochs, batchSize, lr, seed, testLimit: 500, binarize });
  const row = { digit, seed, seconds: Math.round((performance.now() - t0) / 1000) };
  for (const measure of ['bce', 'squared-error']) row[measure] = +rocAuc(scoreDataset(model, test, { kind: 'recon', samples: 1, seed: 0, measure }), truth).toFixed(4);
  if (model.logImportanceWeights) row.elbo = +rocAuc(scoreDataset(model, test, { kind: 'elbo', samples: 8, seed: 0, measure: 'bce' }), truth).toFixed(4);
  model.dispose();
  return row;
}

for (const digit of digitsText.split(',').map(Number)) {
  for (const seed of seedsText.split(',').map(Number)) console.log(JSON.stringify({ config: configText, ...(await measure(digit, seed)) }));
}
