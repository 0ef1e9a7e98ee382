/** latentkit compress: a dataset's codes, quantised to --bits per dimension, into a .lkz file; with size and quality. */
import { compressDataset, type CompressionReport } from '../../core/apps/compress/index.js';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import type { CommandRun } from '../options.js';
import { loadDataFor, openRun, outputPath } from './common.js';

function summary(r: CompressionReport, out: string): string {
  return (
    `wrote ${r.n} codes (${r.latent} dimensions × ${r.bits} bits) to ${out}: ${r.fileBytes} bytes\n` +
    `  bytes per image       ${r.bytesPerImage.toFixed(2)} (codes ${r.codeBytesPerImage.toFixed(2)}, the rest is the header)\n` +
    `  PNG bytes per image   ${r.pngBytesPerImage.toFixed(2)} (each image as its own 8-bit PNG)\n` +
    `  ratio                 ${r.ratio.toFixed(1)}× smaller than PNG\n` +
    `  PSNR                  ${r.psnr.toFixed(2)} dB (unquantised codes: ${r.psnrUnquantized.toFixed(2)} dB)\n`
  );
}

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'compress', ['.lkz']);
  const bits = (values.bits as number | undefined) ?? 8;
  if (bits < 1 || bits > 16) throw new UsageError(`--bits must be in 1..16, got ${bits}`);
  const { model, config } = await openRun(values, 'compress');
  try {
    const ds = await loadDataFor(config, values);
    const { bytes, report } = compressDataset(model, ds, bits);
    writeFileAtomic(out, bytes);
    if (values.json) io.stdout.write(`${JSON.stringify({ out, dataset: ds.name, split: ds.split, ...report })}\n`);
    else io.stdout.write(summary(report, out));
    return 0;
  } finally {
    model.dispose();
  }
};
