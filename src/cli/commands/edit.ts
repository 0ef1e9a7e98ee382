/** `latentkit edit`: latent arithmetic z + α·v with an attribute vector. */
import { editJob } from '../../core/jobs/latent.js';
import type { EditRequest } from '../../core/requests/jobs.js';
import type { Invocation } from '../commands.js';
import { jobContext, printJson, writePicture } from './context.js';

const fmt = (x: number) => Number(x.toFixed(3)).toString();

export async function run({ request, cli, io }: Invocation<EditRequest>): Promise<number> {
  const { result, picture, files } = await editJob(request, await jobContext(io, request, cli));
  writePicture(cli.out!, picture);
  const { originals: _o, edited: _e, ...summary } = result;
  if (cli.json) {
    printJson(io, { ...summary, ...(files ? { files } : {}), out: cli.out! });
    return 0;
  }
  io.stdout.write(`attribute ${result.attribute}: ${result.rule}; v from ${result.positives} examples with it and ${result.negatives} without, |v| = ${fmt(result.norm)}\n`);
  const m = result.measure;
  if (m) {
    io.stdout.write(`mean ${m.what} per α: ${result.alphas.map((a, i) => `${a}: ${fmt(m.perAlpha[i]!)}`).join(', ')}\n`);
    io.stdout.write(`(the data itself: ${fmt(m.data.without)} without the attribute, ${fmt(m.data.with)} with it)\n`);
  }
  io.stdout.write(`wrote ${result.examples.length} examples without the attribute (first row) and a row per α = ${result.alphas.join(', ')} to ${cli.out!}\n`);
  if (files) io.stdout.write(`the examples: ${files.join(', ')}\n`);
  return 0;
}
