/** `latentkit compress`: a dataset's codes, quantised to --bits per dimension, into a .lkz file; with size and quality. */
import { compressJob } from '../../core/jobs/compress.js';
import type { CompressionReport } from '../../core/apps/compress/index.js';
import type { CompressRequest } from '../../core/requests/jobs.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import type { Invocation } from '../commands.js';
import { jobContext, printJson } from './context.js';

function summary(r: CompressionReport, out: string): string {
  return (
    `wrote ${r.n} codes (${r.latent} dimensions × ${r.bits} bits) to ${out}: ${r.fileBytes} bytes\n` +
    `  bytes per image       ${r.bytesPerImage.toFixed(2)} (codes ${r.codeBytesPerImage.toFixed(2)}, the rest is the header)\n` +
    `  PNG bytes per image   ${r.pngBytesPerImage.toFixed(2)} (each image as its own 8-bit PNG)\n` +
    `  ratio                 ${r.ratio.toFixed(1)}× smaller than PNG\n` +
    `  PSNR                  ${r.psnr.toFixed(2)} dB (unquantised codes: ${r.psnrUnquantized.toFixed(2)} dB)\n`
  );
}

export async function run({ request, cli, io }: Invocation<CompressRequest>): Promise<number> {
  const { bytes, report, dataset, split } = await compressJob(request, await jobContext(io, request, cli));
  writeFileAtomic(cli.out!, bytes);
  if (cli.json) printJson(io, { out: cli.out!, dataset, split, ...report });
  else io.stdout.write(summary(report, cli.out!));
  return 0;
}
