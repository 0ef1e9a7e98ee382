#!/usr/bin/env node
// One-class MNIST: train on the training images of one digit, score all 10,000
// test images (that digit normal, the other nine anomalies), ROC-AUC of the score.
// Two rows per digit: PCA reconstruction error (k components fitted on the same
// training images; the model-free baseline) and `latentkit detect fit` with no
// model flags (the detector recipe), run through the CLI exactly as a user would.
//
//   npx tsc -p tsconfig.build.json && LATENTKIT_DATA_DIR=... LATENTKIT_THREADS=1 node bench/oneclass.js
//   options: --digits 0,1,...,9  --seeds 0[,1,2]  --components 16  --pca-only  --keep DIR (keep the runs)
//   anything after `--` goes to `detect fit`, e.g. `-- --model ae` for another recipe.
//
// Prints one JSON line per measurement, then a Markdown table (mean over seeds
// per digit; with several seeds also the range). bench/oneclass_pca.py computes
// the PCA row independently with numpy.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, loadDataset, pixelRange } from '../dist/index.js';
import { fitPca, rocAuc } from '../dist/core/eval/metrics/index.js';
import { pcaScores } from '../dist/core/apps/detect/index.js';
import { selectClasses } from '../dist/core/data/select.js';

const args = process.argv.slice(2);
const dashes = args.indexOf('--');
const own = dashes >= 0 ? args.slice(0, dashes) : args;
const fitArgs = dashes >= 0 ? args.slice(dashes + 1) : [];
const option = (name, fallback) => {
  const i = own.indexOf(`--${name}`);
  return i >= 0 ? own[i + 1] : fallback;
};
const list = (text) => text.split(',').map(Number);
const DIGITS = list(option('digits', '0,1,2,3,4,5,6,7,8,9'));
const SEEDS = list(option('seeds', '0'));
const COMPONENTS = Number(option('components', '16'));
const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../bin/latentkit.js');

function latentkit(cliArgs) {
  const out = spawnSync(process.execPath, [BIN, ...cliArgs], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`latentkit ${cliArgs.join(' ')} failed: ${out.stderr.trim()}`);
  return JSON.parse(out.stdout);
}

async function pcaAuc(trainAll, test, digit) {
  const normal = selectClasses(trainAll, [digit]);
  const pca = fitPca(pixelRange(normal), normal.n, 784, COMPONENTS);
  const scores = pcaScores(pca, { x: pixelRange(test), n: test.n });
  return rocAuc(scores, Int32Array.from(test.labels, (l) => (l === digit ? 0 : 1)));
}

function recipeAuc(digit, seed, dir) {
  const run = path.join(dir, `oc-${digit}-${seed}`);
  const anomalies = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((d) => d !== digit).join(',');
  const t0 = performance.now();
  latentkit(['detect', 'fit', '--dataset', 'mnist', '--classes', String(digit), '--seed', String(seed), ...fitArgs, '--out', run, '--quiet', '--json']);
  const seconds = (performance.now() - t0) / 1000;
  const summary = latentkit(['detect', 'score', '--run', run, '--dataset', 'mnist', '--anomaly-label', anomalies, '--out', path.join(run, 'scores.csv'), '--json']);
  return { rocAuc: summary.rocAuc, seconds };
}

const rows = { pca: {}, recipe: {} };
await initBackend('wasm');
const trainAll = await loadDataset('mnist', { split: 'train', quiet: true });
const test = await loadDataset('mnist', { split: 'test', quiet: true });
const keep = option('keep', undefined);
const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'latentkit-oneclass-'));
try {
  for (const digit of DIGITS) {
    rows.pca[digit] = [await pcaAuc(trainAll, test, digit)];
    console.log(JSON.stringify({ digit, row: `pca-${COMPONENTS}`, rocAuc: +rows.pca[digit][0].toFixed(4) }));
    if (own.includes('--pca-only')) continue;
    rows.recipe[digit] = [];
    for (const seed of SEEDS) {
      const { rocAuc: auc, seconds } = recipeAuc(digit, seed, dir);
      rows.recipe[digit].push(auc);
      console.log(JSON.stringify({ digit, row: 'detect fit', seed, fitArgs: fitArgs.join(' '), rocAuc: +auc.toFixed(4), fitSeconds: Math.round(seconds) }));
    }
  }
} finally {
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
}

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const cell = (xs) => (xs.length > 1 ? `${mean(xs).toFixed(3)} (${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)})` : mean(xs).toFixed(3));
function tableRow(name, byDigit) {
  const cells = DIGITS.map((d) => cell(byDigit[d]));
  const perSeed = byDigit[DIGITS[0]].map((_, s) => mean(DIGITS.map((d) => byDigit[d][s])));
  return `| ${name} | ${cells.join(' | ')} | **${cell(perSeed)}** |`;
}
console.log(`\n| normal digit | ${DIGITS.join(' | ')} | mean |`);
console.log(`| --- |${DIGITS.map(() => ' --- |').join('')} --- |`);
console.log(tableRow(`PCA, ${COMPONENTS} components`, rows.pca));
if (Object.keys(rows.recipe).length) console.log(tableRow(`\`detect fit\`${fitArgs.length ? ` ${fitArgs.join(' ')}` : ''}`, rows.recipe));
