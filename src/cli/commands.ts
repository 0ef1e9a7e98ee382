/**
 * The commands: for each, its help text, positional arguments, the request
 * schema its flags are checked against (from src/core/requests, plus the
 * CLI's own --out, --json, --quiet), and its lazily loaded implementation.
 * Parsing, --help and docs/cli.md all come from this table.
 */
import { z } from 'zod';
import { FieldError } from '../core/errors.js';
import { engineFields } from '../core/requests/fields.js';
import {
  compressRequest,
  decompressRequest,
  denoiseRequest,
  detectFitRequest,
  detectScoreRequest,
  editRequest,
  encodeRequest,
  evalRequest,
  imputeRequest,
  interpolateRequest,
  PLOT_KINDS,
  plotRequest,
  reconstructRequest,
  reportRequest,
  sampleRequest,
  searchEvaluateRequest,
  searchIndexRequest,
  searchQueryRequest,
} from '../core/requests/jobs.js';
import { trainingFields, trainRequestSchema } from '../core/requests/train.js';
import { labRequest, serveRequest } from '../core/requests/serve.js';
import { described } from '../core/requests/fields.js';
import type { ModelDefinition } from '../core/models/types.js';
import { commonCliFields, json, outFile, outFolder } from './flags.js';

export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

/** The CLI's own flags: where results go and how much is printed. */
export interface CliFlags {
  out?: string;
  resume?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** Keys of the CLI's own flags; every other flag is a field of the job's request. */
export const CLI_KEYS: ReadonlySet<string> = new Set(['out', 'resume', 'json', 'quiet', 'verbose', 'help']);

/** A checked invocation: the job's request (defaults filled in), the CLI's own flags, the positionals. */
export interface Invocation<R = Record<string, unknown>> {
  request: R;
  cli: CliFlags;
  positionals: string[];
  io: CommandIO;
}

export type CommandRun = (call: Invocation<never>) => Promise<number>;

type Shape = Record<string, z.ZodType>;

/** What decides which schema checks an invocation. */
export interface SchemaContext {
  positionals: readonly string[];
  /** Request keys of the flags given. */
  given: ReadonlySet<string>;
  models: readonly ModelDefinition[];
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  positionals?: { name: string; choices?: readonly string[] }[];
  /** Whether the flags include the registered models' options (loads the registry). */
  models?: boolean;
  /** Every flag the command takes, for parsing and help (the union over its actions). */
  shape(models: readonly ModelDefinition[]): Shape;
  /** The schema one invocation is checked against. */
  schema(context: SchemaContext): z.ZodObject;
  /** The implementation, loaded only when the command runs (so --help never pays for TensorFlow.js). */
  load: () => Promise<{ run: CommandRun }>;
  /**
   * Whether this invocation handles Ctrl-C itself through `io.signal`
   * (training saves a resumable state, a server finishes its requests).
   * Every other command stops at once, its outputs written whole or not at all.
   */
  graceful?: (call: { positionals: readonly string[]; request: Record<string, unknown> }) => boolean;
}

const strict = (...shapes: Shape[]) => z.strictObject(Object.assign({}, ...shapes, commonCliFields) as Shape);

/** A command whose flags are one request schema plus CLI fields. */
function simple(spec: Omit<CommandSpec, 'shape' | 'schema'>, request: z.ZodObject, cli: Shape): CommandSpec {
  return { ...spec, shape: () => ({ ...request.shape, ...cli, ...commonCliFields }), schema: () => strict(request.shape, cli) };
}

const png = outFile(['.png'], 'picture to write');
const resume = described(z.string().min(1), { arg: 'RUN', description: 'continue the run in RUN from its last checkpoint (only epochs, workers, backend and threads may change)' });

/** Flags that may accompany --resume: everything else is the run's own and cannot change. */
const RESUMABLE = new Set(['resume', 'epochs', 'workers', ...Object.keys(engineFields), ...Object.keys(commonCliFields)]);

const resumeSchema = strict({ resume, epochs: trainingFields.epochs.unwrap().optional(), workers: trainingFields.workers, ...engineFields });

function trainShape(models: readonly ModelDefinition[]): Shape {
  return { ...trainRequestSchema(models).shape, out: outFolder.optional(), resume };
}

function checkResume(given: ReadonlySet<string>): void {
  const other = [...given].find((k) => !RESUMABLE.has(k));
  if (other) throw new FieldError(other, 'does not apply with {{resume}}: a resumed run keeps its settings (only epochs, workers, backend and threads may be given)');
}

/**
 * detect fit's --model has no default in the schema, so that the command can
 * tell "not given" and train the detector recipe (see detectorTrainingRequest).
 */
function detectModel(models: readonly ModelDefinition[]): z.ZodType {
  const names = models.map((m) => m.name) as [string, ...string[]];
  return described(z.enum(names), { arg: 'NAME', description: 'model to train (see the model list)', defaultText: 'fit: ae --loss mse (vae with --score elbo|iwae)' }).optional();
}

/** detect fit's --epochs likewise has no default in the schema: without it the recipe counts steps and, on small data, stops early (see detectorRecipe). */
const detectEpochs = described(trainingFields.epochs.unwrap(), {
  arg: 'N',
  description: 'training epochs',
  defaultText: 'fit: 10; on a small table (ten epochs under 200 optimizer steps), up to 2000 steps with early stopping on a held-out fifth (--validation 0.2, patience about 100 steps)',
}).optional();

const DETECT_FIT_OWN = { score: detectFitRequest.shape.score, iwae: detectFitRequest.shape.iwae, contamination: detectFitRequest.shape.contamination, quantile: detectFitRequest.shape.quantile };

/** Training flags that only mean something when `detect fit` trains a new run. */
function trainingOnly(models: readonly ModelDefinition[]): Set<string> {
  const fitKeys = new Set(Object.keys(detectFitRequest.shape));
  return new Set(Object.keys(trainRequestSchema(models).shape).filter((k) => !fitKeys.has(k)));
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'train',
    summary: 'train a model into a run folder',
    usage: 'latentkit train [--model vae] [--dataset sprites] [--epochs 10] [--out runs/NAME]\n       latentkit train --resume RUN [--epochs N]',
    models: true,
    shape: (models) => ({ ...trainShape(models), ...commonCliFields }),
    schema({ given, models }) {
      if (given.has('resume')) {
        checkResume(given);
        return resumeSchema;
      }
      return strict(trainRequestSchema(models).shape, { out: outFolder.optional() });
    },
    load: () => import('./commands/train.js'),
    graceful: () => true,
  },
  simple({ name: 'sample', summary: 'decode z ~ N(0, I) into a grid of new images', usage: 'latentkit sample --run RUN [--n 64] [--label L] [--temperature 1] --out samples.png', load: () => import('./commands/sample.js') }, sampleRequest, { out: png }),
  simple({ name: 'reconstruct', summary: 'images beside their reconstructions', usage: 'latentkit reconstruct --run RUN [--dataset D] [--split test] [--n 32] --out recon.png', load: () => import('./commands/reconstruct.js') }, reconstructRequest, { out: png }),
  simple(
    { name: 'encode', summary: 'write the code of every example (CSV: label, then z; or .npy)', usage: 'latentkit encode --run RUN [--dataset D] [--split test] --out z.csv|z.npy', load: () => import('./commands/encode.js') },
    encodeRequest,
    { out: outFile(['.csv', '.npy'], 'codes to write') },
  ),
  simple({ name: 'eval', summary: "the model's loss terms on a split (and more, see --help)", usage: 'latentkit eval --run RUN [--dataset D] [--split test] [--iwae K] [--probe] [--json]', load: () => import('./commands/eval.js') }, evalRequest, { json }),
  {
    name: 'plot',
    summary: 'pictures of a run: latent, pca-vs-ae, manifold, interpolate, curves, samples, reconstructions',
    usage: 'latentkit plot KIND --run RUN [--dataset D] --out FILE.png|FILE.svg',
    positionals: [{ name: 'KIND', choices: PLOT_KINDS }],
    shape: () => ({ ...plotRequest.omit({ kind: true }).shape, out: outFile(['.png', '.svg'], 'picture to write (image grids: .png only)'), ...commonCliFields }),
    schema({ positionals }) {
      const image = ['manifold', 'interpolate', 'samples', 'reconstructions'].includes(positionals[0] ?? '');
      return strict(plotRequest.omit({ kind: true }).shape, { out: image ? outFile(['.png'], 'picture to write') : outFile(['.png', '.svg'], 'picture to write') });
    },
    load: () => import('./commands/plot.js'),
  },
  simple({ name: 'report', summary: 'one self-contained HTML report of a run (config, metrics, curves, every picture that applies)', usage: 'latentkit report --run RUN [--dataset D] --out report.html', load: () => import('./commands/report.js') }, reportRequest, {
    out: outFile(['.html', '.htm'], 'report to write'),
  }),
  {
    name: 'detect',
    summary: 'anomaly detection: fit a threshold on normal data, then score examples (CSV of id, score, is_anomaly)',
    usage: 'latentkit detect fit [training flags --out RUN | --run RUN] [--contamination 0.01]\n       latentkit detect score --run RUN [--dataset D] [--anomaly-label L] --out scores.csv',
    positionals: [{ name: 'ACTION', choices: ['fit', 'score'] }],
    models: true,
    shape: (models) => ({ ...trainShape(models), model: detectModel(models), epochs: detectEpochs, ...detectFitRequest.shape, ...detectScoreRequest.shape, out: z.string().meta({ arg: 'PATH', description: 'fit: the run folder to train; score: the scores CSV to write' }), json, ...commonCliFields }),
    schema({ positionals, given, models }) {
      if (positionals[0] === 'score') return strict(detectScoreRequest.shape, { out: outFile(['.csv'], 'scores to write'), json });
      if (given.has('run')) {
        if (given.has('out')) throw new FieldError('out', 'trains a new run; with {{run}} detect fit calibrates an existing one (give one of them)');
        const only = [...given].find((k) => trainingOnly(models).has(k));
        if (only) throw new FieldError(only, 'applies when detect fit trains a new run ({{out}} RUN), not with {{run}}');
        return strict(detectFitRequest.shape, { json });
      }
      if (!given.has('out')) throw new FieldError('out', 'or {{run}} is needed: a run folder to train, or an existing run to calibrate');
      return strict(trainRequestSchema(models).shape, { model: detectModel(models), epochs: detectEpochs }, DETECT_FIT_OWN, { out: outFolder, json });
    },
    load: () => import('./commands/detect.js'),
    // Only fit trains (and then stops like train does); scoring stops at once.
    graceful: ({ positionals, request }) => positionals[0] !== 'score' && request.run === undefined,
  },
  simple(
    { name: 'denoise', summary: 'clean images or rows with a (denoising) autoencoder; PSNR before and after', usage: 'latentkit denoise --run RUN [--dataset D] [--corrupt gaussian:0.5] [--n 8] --out denoised.png|rows.csv', load: () => import('./commands/denoise.js') },
    denoiseRequest,
    { out: outFile(['.png', '.csv'], 'picture (images) or rows (tables) to write'), json },
  ),
  simple(
    { name: 'impute', summary: 'fill missing values by iterative reconstruction; RMSE against mean imputation', usage: 'latentkit impute --run RUN [--dataset D] [--mask 0.3|mask.png] [--max-iter 50] --out filled.png|filled.csv', load: () => import('./commands/impute.js') },
    imputeRequest,
    { out: outFile(['.png', '.csv'], 'picture (images) or rows (tables) to write'), json },
  ),
  {
    name: 'search',
    summary: 'similarity search on codes: index a dataset, query the k nearest neighbours',
    usage:
      'latentkit search index --run RUN [--dataset D] [--split train] [--metric cosine]\n       latentkit search query --run RUN --query I|FILE [--neighbors 10] [--out hits.png]\n       latentkit search evaluate --run RUN [--limit 1000] [--neighbors 10]   (precision@k: codes vs pixels vs PCA)',
    positionals: [{ name: 'ACTION', choices: ['index', 'query', 'evaluate'] }],
    shape: () => ({ ...searchIndexRequest.shape, ...searchQueryRequest.shape, ...searchEvaluateRequest.shape, metric: searchIndexRequest.shape.metric, out: outFile(['.png'], 'query: a picture of the hits'), json, ...commonCliFields }),
    schema({ positionals }) {
      if (positionals[0] === 'query') return strict(searchQueryRequest.shape, { out: outFile(['.png'], 'a picture of the hits').optional(), json });
      if (positionals[0] === 'evaluate') return strict(searchEvaluateRequest.shape, { json });
      return strict(searchIndexRequest.shape, { json });
    },
    load: () => import('./commands/search.js'),
  },
  simple({ name: 'compress', summary: 'quantise codes to --bits per dimension into a compact .lkz file', usage: 'latentkit compress --run RUN [--dataset D] [--bits 8] --out codes.lkz', load: () => import('./commands/compress.js') }, compressRequest, {
    out: outFile(['.lkz'], 'compressed codes to write'),
    json,
  }),
  simple(
    { name: 'decompress', summary: 'decode a .lkz file back into images (PNG grid) or rows (CSV, .npy)', usage: 'latentkit decompress --run RUN --input codes.lkz --out images.png|rows.csv|rows.npy', load: () => import('./commands/decompress.js') },
    decompressRequest,
    { out: outFile(['.png', '.csv', '.npy'], 'decoded data to write'), json },
  ),
  simple(
    { name: 'edit', summary: 'latent arithmetic: add α times an attribute vector to codes; a picture row per α', usage: 'latentkit edit --run RUN --attribute label:1|factor:scale|column:NAME|NAME[,NAME] [--alpha -2,-1,0,1,2] [--n 8] --out edit.png', load: () => import('./commands/edit.js') },
    editRequest,
    { out: png, json },
  ),
  simple(
    { name: 'interpolate', summary: 'decode the path between the codes of two examples', usage: 'latentkit interpolate --run RUN [--dataset D] --from I --to J [--steps 10] [--path great-circle] --out path.png', load: () => import('./commands/interpolate.js') },
    interpolateRequest,
    { out: png, json },
  ),
  simple(
    { name: 'serve', summary: 'serve runs over HTTP: encode, decode, reconstruct, sample, score, impute, denoise, search, interpolate', usage: 'latentkit serve --run [NAME=]RUN [--run ...] [--port 8080] [--host 127.0.0.1] [--token T]', load: () => import('./commands/serve.js'), graceful: () => true },
    serveRequest,
    {},
  ),
  simple(
    { name: 'lab', summary: 'open the browser lab: train and explore models in the page', usage: 'latentkit lab [--port 5173] [--runs DIR]', load: () => import('./commands/lab.js'), graceful: () => true },
    labRequest,
    {},
  ),
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
