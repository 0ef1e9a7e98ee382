#!/usr/bin/env node
// PCA of wide data: the procedural 64×64×3 shapes (12,288 columns), by the route fitPca picks
// (subspace iteration at these sizes) and, with --exact, by the exact Gram route for comparison
// (minutes at thousands of rows). Times are CPU seconds of this process, so a loaded machine
// inflates them less than wall time.
//
//   npx tsc -p tsconfig.build.json && node bench/pca.js [ROWS=6000] [K=16] [--exact]
import { generateShapes } from '../dist/core/data/shapes.js';
import { fitPca } from '../dist/core/eval/metrics/pca.js';
import { pixelRange } from '../dist/core/data/pixels.js';

const [rows = 6000, k = 16] = process.argv.slice(2).filter((a) => !a.startsWith('--')).map(Number);
const ds = generateShapes({ split: 'train', n: rows });
const values = pixelRange(ds);
const dim = values.length / ds.n;
const timed = (solver) => {
  const start = process.cpuUsage();
  const pca = fitPca(values, ds.n, dim, k, { solver });
  const used = process.cpuUsage(start);
  return { pca, seconds: (used.user + used.system) / 1e6 };
};
const fast = timed('auto');
console.log(`${rows} × ${dim}, k = ${k}: auto ${fast.seconds.toFixed(1)} s CPU; top variances ${Array.from(fast.pca.explainedVariance.slice(0, 3), (v) => v.toFixed(5)).join(', ')}`);
if (process.argv.includes('--exact')) {
  const exact = timed('gram');
  const worst = Math.max(...Array.from(exact.pca.explainedVariance, (v, c) => Math.abs(v - fast.pca.explainedVariance[c]) / exact.pca.explainedVariance[0]));
  console.log(`gram ${exact.seconds.toFixed(1)} s CPU; largest eigenvalue difference ${worst.toExponential(2)} of λ1`);
}
