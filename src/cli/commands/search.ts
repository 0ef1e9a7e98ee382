/** `latentkit search index|query|evaluate`: nearest neighbours among a dataset's codes, kept in RUN/search/. */
import * as path from 'node:path';
import { hitsPicture, searchEvaluateJob, searchIndexJob, searchQueryJob, type Hit, type QueryResult } from '../../core/jobs/search.js';
import type { QueryInput } from '../../core/apps/search/index.js';
import type { SearchEvaluateRequest, SearchIndexRequest, SearchQueryRequest } from '../../core/requests/jobs.js';
import type { CliFlags, CommandIO, Invocation } from '../commands.js';
import { jobContext, printJson, writePicture } from './context.js';

async function indexAction(request: SearchIndexRequest, cli: CliFlags, io: CommandIO): Promise<void> {
  const { path: where, index } = await searchIndexJob(request, await jobContext(io, request, cli));
  const file = path.join(request.run, where);
  if (cli.json) printJson(io, { index: file, dataset: index.dataset, split: index.split, examples: index.n, latent: index.d, metric: index.metric });
  else io.stdout.write(`indexed ${index.n} codes of size ${index.d} (${index.dataset} ${index.split}, ${index.metric}) in ${file}\n`);
}

function hitsTable(result: QueryResult, q: QueryInput, hits: Hit[]): string {
  const { index } = result;
  const head = `nearest ${hits.length} of ${index.n} ${index.dataset} ${index.split} codes to ${q.name}${q.label !== undefined ? ` (label ${q.label})` : ''}, ${index.metric}:`;
  // Files (image folders) go last: they vary in length.
  const file = (h: Hit) => (h.file !== undefined ? `  ${h.file}` : '');
  const rows = hits.map((h) => `  ${String(h.rank).padStart(4)}  ${String(h.index).padStart(7)}  ${String(h.label).padStart(5)}  ${h.distance.toFixed(4)}${file(h)}`);
  return `${head}\n  rank    index  label  distance${index.sources ? '  file' : ''}\n${rows.join('\n')}\n`;
}

async function queryAction(request: SearchQueryRequest, cli: CliFlags, io: CommandIO): Promise<void> {
  const result = await searchQueryJob(request, await jobContext(io, request, cli), { loadIndexed: cli.out !== undefined });
  if (cli.out) writePicture(cli.out!, hitsPicture(result, request.neighbors));
  const file = path.join(request.run, result.path);
  if (cli.json) {
    printJson(io, { index: file, metric: result.index.metric, queries: result.queries.map((q, r) => ({ query: q.name, row: q.row, file: q.file, label: q.label, neighbors: result.hits[r] })) });
    return;
  }
  io.stdout.write(result.queries.map((q, r) => hitsTable(result, q, result.hits[r]!)).join('\n'));
  if (cli.out) io.stdout.write(`wrote ${cli.out!} (one row per query: the query, then its neighbours)\n`);
}

async function evaluateAction(request: SearchEvaluateRequest, cli: CliFlags, io: CommandIO): Promise<void> {
  const result = await searchEvaluateJob(request, await jobContext(io, request, cli));
  if (cli.json) {
    const { dim: _dim, ...rest } = result;
    printJson(io, rest);
    return;
  }
  const line = (name: string, p: number) => `  ${name.padEnd(22)} ${p.toFixed(4)}\n`;
  io.stdout.write(
    `precision@${result.k} (${result.metric}) of ${result.queries} ${result.dataset} test queries against ${result.indexed} training examples:\n` +
      line(`codes (${result.latent}-d)`, result.codes) +
      line(`raw pixels (${result.dim}-d)`, result.pixels) +
      line(`PCA (${result.latent}-d)`, result.pca),
  );
}

export async function run({ request, cli, positionals, io }: Invocation<never>): Promise<number> {
  const action = positionals[0];
  if (action === 'index') await indexAction(request, cli, io);
  else if (action === 'query') await queryAction(request, cli, io);
  else await evaluateAction(request, cli, io);
  return 0;
}
