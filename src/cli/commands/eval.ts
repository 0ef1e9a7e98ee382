/** `latentkit eval`: a run's loss terms and quality measures on data. */
import { evalJob, flattenEvaluation } from '../../core/jobs/evaluate.js';
import type { EvalRequest } from '../../core/requests/jobs.js';
import type { Invocation } from '../commands.js';
import { jobContext, printJson } from './context.js';

function table(header: string, result: Record<string, unknown>): string {
  const rows = Object.entries(result)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `  ${k.padEnd(20)} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)}`);
  return `${header}\n${rows.join('\n')}\n`;
}

export async function run({ request, cli, io }: Invocation<EvalRequest>): Promise<number> {
  const result = await evalJob(request, await jobContext(io, request, cli));
  const flat = flattenEvaluation(result.evaluation);
  const head = { run: result.run, model: result.model, dataset: result.dataset, split: result.split, binarize: result.binarize };
  if (cli.json) printJson(io, { ...head, ...flat });
  else io.stdout.write(table(`${result.model} on ${result.dataset} ${result.split}, binarize ${result.binarize} (losses: per-example means in nats):`, flat));
  return 0;
}
