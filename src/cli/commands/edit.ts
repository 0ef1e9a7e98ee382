/** `latentkit edit`: latent arithmetic z + α·v with an attribute vector; the work is in src/apps/edit. */
import { DEFAULT_ALPHAS, editExamples, editImage, parseAlphas, parseAttributeSpec } from '../../core/apps/edit/index.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import type { CommandRun } from '../options.js';
import { requireOption } from '../parse.js';
import { loadDataFor, openRun, outputPath } from './common.js';

const fmt = (x: number) => Number(x.toFixed(3)).toString();

export const run: CommandRun = async (values, _positionals, io) => {
  const out = outputPath(values, 'edit', ['.png']);
  // Flag mistakes fail before the model and data are loaded.
  const attribute = parseAttributeSpec(requireOption<string>(values, 'attribute', 'edit'));
  const alphas = values.alpha === undefined ? [...DEFAULT_ALPHAS] : parseAlphas(String(values.alpha));
  const n = (values.n as number | undefined) ?? 8;
  const { model, config } = await openRun(values, 'edit');
  try {
    const ds = await loadDataFor(config, values);
    const result = editExamples(model, ds, { attribute, alphas, n });
    writeFileAtomic(out, editImage(result, ds.shape));
    const { originals: _o, edited: _e, ...summary } = result;
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ ...summary, out })}\n`);
    } else {
      io.stdout.write(`attribute ${result.attribute}: ${result.rule}; v from ${result.positives} examples with it and ${result.negatives} without, |v| = ${fmt(result.norm)}\n`);
      const m = result.measure;
      if (m) {
        io.stdout.write(`mean ${m.what} per α: ${result.alphas.map((a, i) => `${a}: ${fmt(m.perAlpha[i])}`).join(', ')}\n`);
        io.stdout.write(`(the data itself: ${fmt(m.data.without)} without the attribute, ${fmt(m.data.with)} with it)\n`);
      }
      io.stdout.write(`wrote ${result.examples.length} examples without the attribute (first row) and a row per α = ${result.alphas.join(', ')} to ${out}\n`);
    }
    return 0;
  } finally {
    model.dispose();
  }
};
