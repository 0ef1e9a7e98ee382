/** latentkit decompress: a .lkz file back into images (PNG grid) or rows (CSV, .npy) through the run's decoder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeCodes, decompressCodes } from '../../core/apps/compress/index.js';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import { encodeNpy } from '../../core/io/npy.js';
import { encodeImageGrid } from '../../core/viz/grid.js';
import type { CommandRun } from '../options.js';
import { openRun, outputPath } from './common.js';
import { requireOption } from '../parse.js';

/** Rows with the label first when the file has labels, as `latentkit encode` writes codes. */
function toCsv(data: Float32Array, n: number, dim: number, labels?: Int32Array): string {
  const names = Array.from({ length: dim }, (_, j) => `x${j + 1}`);
  const lines = [(labels ? ['label', ...names] : names).join(',')];
  for (let i = 0; i < n; i++) {
    const row = Array.from(data.subarray(i * dim, (i + 1) * dim), (v) => String(v));
    lines.push((labels ? [String(labels[i]), ...row] : row).join(','));
  }
  return `${lines.join('\n')}\n`;
}

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'decompress', ['.png', '.csv', '.npy']);
  const input = requireOption<string>(values, 'input', 'decompress');
  if (!fs.existsSync(input)) throw new UsageError(`input file ${input} does not exist`);
  const { model } = await openRun(values, 'decompress');
  try {
    const { codes, labels, file } = decompressCodes(model, fs.readFileSync(input), input);
    const shape = model.config.inputShape;
    const dim = shape[0] * shape[1] * shape[2];
    const data = decodeCodes(model, codes, file.n, labels);
    const ext = path.extname(out).toLowerCase();
    if (ext === '.png') {
      if (file.n === 0) throw new UsageError(`${input} holds no codes; nothing to draw`);
      writeFileAtomic(out, encodeImageGrid(data, file.n, shape));
    } else if (ext === '.npy') {
      writeFileAtomic(out, encodeNpy(data, [file.n, dim]));
    } else {
      writeFileAtomic(out, toCsv(data, file.n, dim, labels));
    }
    if (values.json) io.stdout.write(`${JSON.stringify({ input, out, examples: file.n, latent: file.d, bits: file.quantizer.bits, version: file.version })}\n`);
    else io.stdout.write(`decoded ${file.n} codes (${file.d} dimensions × ${file.quantizer.bits} bits) from ${input} to ${out}\n`);
    return 0;
  } finally {
    model.dispose();
  }
};
