/**
 * The model routes: one entry per operation, with the body schema it takes
 * and how it runs. The server, its OpenAPI document and its docs page are all
 * built from this list.
 */
import type { z } from 'zod';
import { Batcher } from '../core/serve/batcher.js';
import { decodeBody, imputeBody, interpolateBody, rowsBody, sampleBody, searchBody, type RowsBody } from '../core/serve/bodies.js';
import type { ModelService } from '../core/serve/service.js';

export interface BatchSettings {
  maxBatch: number;
  maxWaitMs: number;
  onBatch?: (model: string, op: string, rows: number) => void;
}

/** A model with the batchers of its row operations. */
export class Served {
  readonly encode: Batcher;
  readonly reconstruct: Batcher;
  readonly score?: Batcher;

  constructor(
    readonly service: ModelService,
    settings: BatchSettings,
  ) {
    const d = service.features;
    const latent = service.model.config.latent;
    const options = (op: string) => ({ maxBatch: settings.maxBatch, maxWaitMs: settings.maxWaitMs, onBatch: (rows: number) => settings.onBatch?.(service.name, op, rows) });
    this.encode = new Batcher((rows) => service.encodeRows(rows), latent, d, options('encode'));
    this.reconstruct = new Batcher((rows) => service.reconstructRows(rows), d, d, options('reconstruct'));
    // Importance-sampled scores depend on the z draws of the whole batch, so only reconstruction errors share batches.
    if (service.batchableScores) this.score = new Batcher((rows) => service.reconScores(rows), 1, d, options('score'));
  }
}

export interface Operation {
  name: string;
  summary: string;
  body: z.ZodObject;
  /** Whether the body may be rows as an image (image/png, image/jpeg) or a CSV table (text/csv). */
  rowsIn: boolean;
  /** Whether `outputs` of the answer can be sent as a PNG grid (Accept: image/png). */
  imagesOut: boolean;
  run(served: Served, body: never): Promise<unknown>;
}

const op = <S extends z.ZodObject>(name: string, summary: string, body: S, run: (served: Served, body: z.output<S>) => Promise<unknown> | unknown, io: { rowsIn?: boolean; imagesOut?: boolean } = {}): Operation => ({
  name,
  summary,
  body,
  rowsIn: io.rowsIn ?? false,
  imagesOut: io.imagesOut ?? false,
  run: async (served, parsed) => run(served, parsed as z.output<S>),
});

async function reconstructed(served: Served, body: RowsBody) {
  const rows = served.service.rows(body.inputs, body.labels);
  return { outputs: served.service.outputsOf(await served.reconstruct.submit(rows), rows.n) };
}

export const OPERATIONS: readonly Operation[] = [
  op(
    'encode',
    'the codes E[z|x] of the rows',
    rowsBody,
    async (served, body) => {
      const rows = served.service.rows(body.inputs, body.labels);
      return { codes: served.service.codesOf(await served.encode.submit(rows), rows.n) };
    },
    { rowsIn: true },
  ),
  op('decode', 'decoded outputs of latent codes', decodeBody, (served, body) => served.service.decode(body), { imagesOut: true }),
  op('reconstruct', 'decode(encode(x)) of the rows', rowsBody, reconstructed, { rowsIn: true, imagesOut: true }),
  op('denoise', "the rows cleaned by the model (a denoising autoencoder's reconstruction)", rowsBody, reconstructed, { rowsIn: true, imagesOut: true }),
  op('sample', 'decoded draws z ~ N(0, T²·I) (generative models)', sampleBody, (served, body) => served.service.sample(body), { imagesOut: true }),
  op(
    'score',
    "anomaly scores, flagged above the run's detector threshold",
    rowsBody,
    async (served, body) => {
      if (!served.score) return served.service.score(body);
      const rows = served.service.rows(body.inputs, body.labels);
      return served.service.scoreAnswer(await served.score.submit(rows));
    },
    { rowsIn: true },
  ),
  op('impute', 'rows with their missing (null) entries filled by iterative reconstruction', imputeBody, (served, body) => served.service.impute(body), { imagesOut: true }),
  op('search', "the k nearest examples of the run's search index for each row", searchBody, (served, body) => served.service.search(body), { rowsIn: true }),
  op('interpolate', 'decoded points on the path between the codes of two rows', interpolateBody, (served, body) => served.service.interpolate(body), { imagesOut: true }),
];
