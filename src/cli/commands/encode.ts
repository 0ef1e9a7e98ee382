import * as path from 'node:path';
import { writeFileAtomic } from '../../node/files/atomic.js';
import { encodeNpy } from '../../core/io/npy.js';
import { encodeCodes } from '../../core/models/inference.js';
import type { CommandRun } from '../options.js';
import { loadDataFor, openRun, outputPath } from './common.js';

function toCsv(labels: Int32Array, codes: Float32Array, latent: number): string {
  const header = ['label', ...Array.from({ length: latent }, (_, i) => `z${i + 1}`)].join(',');
  const rows = [header];
  for (let i = 0; i < labels.length; i++) rows.push(`${labels[i]},${Array.from(codes.subarray(i * latent, (i + 1) * latent)).join(',')}`);
  return `${rows.join('\n')}\n`;
}

/** [n, 1 + latent]: the label as the first column, as in the CSV. */
function toNpy(labels: Int32Array, codes: Float32Array, latent: number): Uint8Array {
  const table = new Float32Array(labels.length * (latent + 1));
  for (let i = 0; i < labels.length; i++) {
    table[i * (latent + 1)] = labels[i];
    table.set(codes.subarray(i * latent, (i + 1) * latent), i * (latent + 1) + 1);
  }
  return encodeNpy(table, [labels.length, latent + 1]);
}

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'encode', ['.csv', '.npy']);
  const { model, config } = await openRun(values, 'encode');
  try {
    const ds = await loadDataFor(config, values);
    const codes = encodeCodes(model, ds);
    const latent = model.config.latent;
    writeFileAtomic(out, path.extname(out).toLowerCase() === '.npy' ? toNpy(ds.labels, codes, latent) : toCsv(ds.labels, codes, latent));
    io.stdout.write(`wrote ${ds.n} codes of size ${latent} to ${out}\n`);
    return 0;
  } finally {
    model.dispose();
  }
};
