import { binarize, type BinarizeMode } from '../../core/data/load.js';
import { evaluateModel, type Evaluation } from '../../core/eval/evaluate.js';
import type { CommandRun } from '../options.js';
import { loadDataFor, openRun } from './common.js';

function flatten(e: Evaluation): Record<string, unknown> {
  return {
    examples: e.examples,
    loss: e.loss,
    ...e.terms,
    active_units: e.activeUnits,
    mse: e.mse,
    psnr: e.psnr,
    ssim: e.ssim,
    ...(e.iwae ? { iwae_samples: e.iwae.samples, iwae_log_px: e.iwae.logLikelihood, iwae_elbo: e.iwae.elbo } : {}),
    ...(e.probe
      ? {
          probe_logistic: e.probe.model.logistic,
          probe_knn: e.probe.model.knn,
          pca_mse: e.probe.pca.mse,
          pca_probe_logistic: e.probe.pca.logistic,
          pca_probe_knn: e.probe.pca.knn,
        }
      : {}),
  };
}

function table(header: string, result: Record<string, unknown>): string {
  const rows = Object.entries(result).filter(([, v]) => v !== undefined).map(([k, v]) => `  ${k.padEnd(20)} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)}`);
  return `${header}\n${rows.join('\n')}\n`;
}

export const run: CommandRun = async (values, _positionals, io) => {
  const { model, config } = await openRun(values, 'eval');
  try {
    const mode = (values.binarize as BinarizeMode | undefined) ?? 'none';
    const seed = (values.seed as number | undefined) ?? 0;
    const ds = binarize(await loadDataFor(config, values), mode, seed);
    const probeTrain = values.probe ? binarize(await loadDataFor(config, values, { split: 'train', limit: config.data.limit ?? undefined }), mode, seed + 1) : undefined;
    const progress = values.quiet || values.json ? undefined : (done: number, total: number) => io.stderr.write(`\riwae: ${done}/${total} examples`);
    const evaluation = evaluateModel(model, ds, { seed, iwae: values.iwae as number | undefined, probeTrain, onIwaeProgress: progress });
    if (progress && values.iwae) io.stderr.write('\n');
    const head = { run: values.run, model: config.model.model, dataset: ds.name, split: ds.split, binarize: mode };
    const flat = flatten(evaluation);
    if (values.json) io.stdout.write(`${JSON.stringify({ ...head, ...flat })}\n`);
    else io.stdout.write(table(`${config.model.model} on ${ds.name} ${ds.split}, binarize ${mode} (losses: per-example means in nats):`, flat));
    return 0;
  } finally {
    model.dispose();
  }
};
