#!/usr/bin/env node
/**
 * MNIST one-class anomaly detection (the protocol of Ruff et al., 2018): for
 * each digit d, train on the MNIST training images of d only, score all 10,000
 * test images, and measure ROC-AUC with d as normal (the other nine digits are
 * the anomalies). One JSON line per digit is appended to --log as soon as the
 * digit is done, so a partial table exists if the run is stopped.
 *
 *   npm run build
 *   LATENTKIT_DATA_DIR=/work/shared/data nice -n 10 node scripts/one-class-mnist.js \
 *     --model ae --hidden 256,64 --latent 16 --epochs 20 --log one-class-mnist.jsonl
 *
 * Flags: --model (ae|vae|...), --hidden, --latent, --epochs, --batch-size, --lr,
 * --seed, --score (recon|elbo|iwae, or a comma list measured on the same model), --iwae K, --digits (e.g. 0,1,2), --log FILE,
 * --picture FILE.png: for the first digit, its 16 lowest-scoring test images
 * (top two rows) above the 16 highest-scoring ones (bottom two rows).
 * --from-scores FILE.csv: no training; take the test scores of the first digit
 * from a `latentkit detect score` CSV (id,score,is_anomaly) for the AUCs and picture.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend } from '../dist/node/backend/index.js';
import { loadDataset } from '../dist/core/data/load.js';
import '../dist/node/data/datasets.js';
import { getModelDefinition } from '../dist/core/models/registry.js';
import { Rng } from '../dist/core/random.js';
import { train } from '../dist/core/train/trainer.js';
import { resolveScoreSettings, scoreDataset } from '../dist/core/apps/detect/index.js';
import { averagePrecision, rocAuc } from '../dist/core/eval/metrics/auc.js';
import { writeFileAtomic } from '../dist/node/files/atomic.js';
import { encodeImageGrid } from '../dist/core/viz/grid.js';
import { gatherRows, selectPixels } from '../dist/core/data/pixels.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'ae' },
    hidden: { type: 'string', default: '256,64' },
    latent: { type: 'string', default: '16' },
    epochs: { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.001' },
    seed: { type: 'string', default: '0' },
    score: { type: 'string', default: 'recon' },
    iwae: { type: 'string' },
    digits: { type: 'string', default: '0,1,2,3,4,5,6,7,8,9' },
    log: { type: 'string', default: 'one-class-mnist.jsonl' },
    backend: { type: 'string', default: 'auto' },
    picture: { type: 'string' },
    'from-scores': { type: 'string' },
  },
});

/** The examples of `ds` whose label is `digit` (copies). */
function onlyDigit(ds, digit) {
  const dim = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const rows = [];
  for (let i = 0; i < ds.n; i++) if (ds.labels[i] === digit) rows.push(i);
  return { ...ds, n: rows.length, pixels: selectPixels(ds.pixels, dim, rows), labels: Int32Array.from(rows, (row) => ds.labels[row]) };
}

/** The 16 lowest- then the 16 highest-scoring test images, as one 8-column grid. */
function extremesPicture(test, scores) {
  const order = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b]);
  const rows = [...order.slice(0, 16), ...order.slice(-16)];
  return encodeImageGrid(gatherRows(test, rows), rows.length, test.shape, { cols: 8, scale: 2 });
}

const backend = await initBackend(values.backend);
const trainAll = await loadDataset('mnist', { split: 'train', quiet: true });
const test = await loadDataset('mnist', { split: 'test', quiet: true });
const definition = getModelDefinition(values.model);
const settings = { epochs: Number(values.epochs), batchSize: Number(values['batch-size']), lr: Number(values.lr), seed: Number(values.seed) };
const modelInput = { hidden: values.hidden, latent: Number(values.latent) };

/** Scores of `detect score` output, in id order. */
function readScores(file, n) {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1);
  if (lines.length !== n) throw new Error(`${file} has ${lines.length} scores, the MNIST test set ${n} images`);
  const scores = new Float64Array(n);
  for (const line of lines) {
    const [id, score] = line.split(',').map(Number);
    scores[id] = score;
  }
  return scores;
}

if (values['from-scores']) {
  const digit = Number(values.digits.split(',')[0]);
  const scores = readScores(values['from-scores'], test.n);
  const isAnomaly = Int32Array.from(test.labels, (label) => (label === digit ? 0 : 1));
  console.log(`digit ${digit} (from ${values['from-scores']}): ROC-AUC ${rocAuc(scores, isAnomaly).toFixed(4)}, PR-AUC ${averagePrecision(scores, isAnomaly).toFixed(4)}`);
  if (values.picture) writeFileAtomic(values.picture, extremesPicture(test, scores));
  process.exit(0);
}

for (const digit of values.digits.split(',').map(Number)) {
  const started = Date.now();
  const trainSet = onlyDigit(trainAll, digit);
  const config = definition.resolveConfig(modelInput, { shape: trainSet.shape, numClasses: trainSet.numClasses });
  const model = definition.create(config, new Rng(settings.seed));
  // The per-epoch test loss is only a progress signal here: 500 test images of the same digit.
  await train(model, trainSet, onlyDigit(test, digit), { ...settings, workers: 1, testLimit: 500 });
  const isAnomaly = Int32Array.from(test.labels, (label) => (label === digit ? 0 : 1));
  // Several --score kinds (e.g. recon,iwae) are measured on the same trained model.
  for (const kind of values.score.split(',')) {
    const scoreSettings = resolveScoreSettings(model, { kind, samples: values.iwae === undefined ? undefined : Number(values.iwae), seed: settings.seed });
    const scores = scoreDataset(model, test, scoreSettings);
    if (values.picture && digit === Number(values.digits.split(',')[0]) && kind === values.score.split(',')[0]) writeFileAtomic(values.picture, extremesPicture(test, scores));
    const result = {
      digit,
      rocAuc: rocAuc(scores, isAnomaly),
      prAuc: averagePrecision(scores, isAnomaly),
      trainExamples: trainSet.n,
      seconds: Math.round((Date.now() - started) / 1000),
      model: values.model,
      ...modelInput,
      ...settings,
      score: kind,
      samples: kind === 'recon' ? null : scoreSettings.samples,
      backend,
    };
    fs.appendFileSync(values.log, `${JSON.stringify(result)}\n`);
    console.log(`digit ${digit}, ${kind}: ROC-AUC ${result.rocAuc.toFixed(4)}, PR-AUC ${result.prAuc.toFixed(4)} (${result.seconds} s)`);
  }
  model.dispose();
}
