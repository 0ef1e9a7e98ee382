/** `latentkit decompress`: a .lkz file back into images (PNG grid) or rows (CSV, .npy) through the run's decoder. */
import { decompressJob } from '../../core/jobs/compress.js';
import { UsageError } from '../../core/errors.js';
import { encodeNpy } from '../../core/io/npy.js';
import type { DecompressRequest } from '../../core/requests/jobs.js';
import { tileImages } from '../../core/viz/grid.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import type { Invocation } from '../commands.js';
import { jobContext, printJson, writePicture } from './context.js';

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

export async function run({ request, cli, io }: Invocation<DecompressRequest>): Promise<number> {
  const { data, n, shape, labels, file } = await decompressJob(request, await jobContext(io, request, cli));
  const dim = shape[0] * shape[1] * shape[2];
  const out = cli.out!;
  const ext = out.toLowerCase().slice(out.lastIndexOf('.'));
  if (ext === '.png') {
    if (n === 0) throw new UsageError(`${request.input} holds no codes; nothing to draw`);
    writePicture(out, tileImages(data, n, shape));
  } else if (ext === '.npy') writeFileAtomic(out, encodeNpy(data, [n, dim]));
  else writeFileAtomic(out, toCsv(data, n, dim, labels));
  if (cli.json) printJson(io, { input: request.input, out, examples: n, latent: file.d, bits: file.quantizer.bits, version: file.version });
  else io.stdout.write(`decoded ${n} codes (${file.d} dimensions × ${file.quantizer.bits} bits) from ${request.input} to ${out}\n`);
  return 0;
}
