/** A run's quality on data: loss terms, disentanglement when the data has factors, and on request IWAE log-likelihood and linear probes. */
import type { z } from 'zod';
import { binarize } from '../data/load.js';
import { dataForRun } from '../data/spec.js';
import { evaluateModel, type Evaluation } from '../eval/evaluate.js';
import { evalRequest } from '../requests/jobs.js';
import { parseRequest } from '../requests/validate.js';
import { withRun, type JobContext } from './context.js';

export interface EvalResult {
  run: string;
  model: string;
  dataset: string;
  split: string;
  binarize: string;
  evaluation: Evaluation;
}

export async function evalJob(input: z.input<typeof evalRequest>, ctx: JobContext): Promise<EvalResult> {
  const request = parseRequest(evalRequest, input);
  return withRun(ctx, request.run, async ({ config, model }) => {
    const { seed } = request;
    const ds = binarize(await dataForRun(config, request, ctx.load), request.binarize, seed);
    // Probes are fitted on the training split, as many examples as the run was trained on.
    const probeTrain = request.probe ? binarize(await dataForRun(config, { ...request, split: 'train', limit: config.data.limit ?? undefined }, ctx.load), request.binarize, seed + 1) : undefined;
    const onIwaeProgress = ctx.progress ? (done: number, total: number) => ctx.progress!({ what: 'iwae', done, total }) : undefined;
    const evaluation = evaluateModel(model, ds, { seed, iwae: request.iwae, probeTrain, onIwaeProgress });
    return { run: request.run, model: config.model.model, dataset: ds.name, split: ds.split, binarize: request.binarize, evaluation };
  });
}

/** An evaluation as one flat record (the CLI's --json and table). */
export function flattenEvaluation(e: Evaluation): Record<string, number | undefined> {
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
      ? { probe_logistic: e.probe.model.logistic, probe_knn: e.probe.model.knn, pca_mse: e.probe.pca.mse, pca_probe_logistic: e.probe.pca.logistic, pca_probe_knn: e.probe.pca.knn }
      : {}),
    ...(e.disentanglement
      ? {
          mig: e.disentanglement.mig,
          // Per factor, since a mean over factors hides which ones the code separates.
          ...Object.fromEntries(e.disentanglement.factors.map((name, f) => [`mig_${name}`, e.disentanglement!.perFactor.mig[f]])),
          sap: e.disentanglement.sap,
          dci_disentanglement: e.disentanglement.dci.disentanglement,
          dci_completeness: e.disentanglement.dci.completeness,
          dci_informativeness: e.disentanglement.dci.informativeness,
        }
      : {}),
  };
}
