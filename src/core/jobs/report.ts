/** One self-contained HTML report of a run: config, metrics, curves and every picture that applies. */
import type { z } from 'zod';
import { dataForRun } from '../data/spec.js';
import { reportRequest } from '../requests/jobs.js';
import { parseRequest } from '../requests/validate.js';
import { readStoredMetrics } from '../run/run.js';
import { withRun, type JobContext } from './context.js';

export interface ReportResult {
  html: string;
  dataset: string;
  split: string;
  examples: number;
}

export async function reportJob(input: z.input<typeof reportRequest>, ctx: JobContext): Promise<ReportResult> {
  const request = parseRequest(reportRequest, input);
  return withRun(ctx, request.run, async ({ store, config, model }) => {
    const { buildReport } = await import('../viz/figures/report.js');
    const ds = await dataForRun(config, { ...request, split: 'test' }, ctx.load);
    const html = await buildReport({ config, model, metrics: await readStoredMetrics(store), name: store.name }, ds, { seed: request.seed });
    return { html, dataset: ds.name, split: ds.split, examples: ds.n };
  });
}
