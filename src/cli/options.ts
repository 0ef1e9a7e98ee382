/**
 * The one table of command-line options. Parsing, --help and docs/cli.md all
 * come from it (and from each model's own option list in the registry).
 */
export type OptionType = 'string' | 'number' | 'integer' | 'boolean';

export interface OptionSpec {
  name: string;
  type: OptionType;
  description: string;
  /** Placeholder shown in help, e.g. N or DIR. */
  arg?: string;
  choices?: readonly string[];
  /** Default shown in help (the command applies it). */
  default?: string | number | boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  /** Option names from OPTIONS this command accepts. */
  options: readonly string[];
  /** Whether the command also takes every registered model's options. */
  modelOptions?: boolean;
  /** Positional arguments (e.g. plot KIND). */
  positionals?: { name: string; choices?: readonly string[] }[];
  /** Lazily loaded implementation, so `--help` never pays for TensorFlow.js. */
  load: () => Promise<{ run: CommandRun }>;
}

export type OptionValues = Record<string, string | number | boolean | undefined>;
export type CommandRun = (values: OptionValues, positionals: string[], io: CommandIO) => Promise<number>;

export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

const BACKENDS = ['auto', 'wasm', 'cpu', 'tensorflow'] as const;
const SPLITS = ['train', 'test'] as const;
export const PLOT_KINDS = ['latent', 'pca-vs-ae', 'manifold', 'interpolate', 'curves', 'samples', 'reconstructions'] as const;

export const OPTIONS: readonly OptionSpec[] = [
  // data
  { name: 'dataset', type: 'string', arg: 'NAME', description: 'mnist, fashion-mnist, sprites (built in), idx:<folder>, or csv:<file> (a table with a header row)' },
  { name: 'data-dir', type: 'string', arg: 'DIR', description: 'folder holding the dataset files (else $LATENTKIT_DATA_DIR, the cache, a download)' },
  { name: 'split', type: 'string', arg: 'SPLIT', choices: SPLITS, default: 'test', description: 'which split to use' },
  { name: 'limit', type: 'integer', arg: 'N', description: 'use only the first N examples' },
  { name: 'label-column', type: 'string', arg: 'NAME', description: 'csv: the column holding the label (integer classes); not a feature' },
  { name: 'ignore-columns', type: 'string', arg: 'LIST', description: 'csv: columns to drop, comma separated' },
  { name: 'scale', type: 'string', arg: 'KIND', choices: ['standard', 'minmax'], default: 'standard', description: 'csv: per-column scaling fitted on the training data and saved in the run' },
  { name: 'classes', type: 'string', arg: 'LIST', description: 'keep only examples whose label is in LIST (e.g. 3 or 1,7)' },
  // model (shared by all models; model-specific options come from the registry)
  { name: 'model', type: 'string', arg: 'NAME', default: 'vae', description: 'model to train (see the model list below)' },
  { name: 'arch', type: 'string', arg: 'ARCH', choices: ['mlp', 'conv'], default: 'mlp', description: 'network architecture' },
  { name: 'hidden', type: 'string', arg: 'LIST', description: 'hidden layer widths, comma separated (e.g. 400 or 400,400)' },
  { name: 'latent', type: 'integer', arg: 'N', description: 'size of the code z' },
  { name: 'activation', type: 'string', arg: 'NAME', choices: ['relu', 'leaky-relu', 'tanh', 'sigmoid', 'linear'], description: 'hidden activation (leaky slope 0.2)' },
  // training
  { name: 'epochs', type: 'integer', arg: 'N', default: 10, description: 'training epochs' },
  { name: 'batch-size', type: 'integer', arg: 'N', default: 128, description: 'examples per step' },
  { name: 'lr', type: 'number', arg: 'RATE', default: 0.001, description: 'Adam learning rate' },
  { name: 'seed', type: 'integer', arg: 'N', default: 0, description: 'random seed; the same seed gives the same run' },
  { name: 'out', type: 'string', arg: 'PATH', description: 'output run folder or file' },
  { name: 'resume', type: 'string', arg: 'RUN', description: 'continue the run in RUN from its last completed epoch' },
  { name: 'backend', type: 'string', arg: 'NAME', choices: BACKENDS, default: 'auto', description: 'TensorFlow.js backend' },
  { name: 'threads', type: 'integer', arg: 'N', description: 'threads for large matrix products on wasm (default: every core, or $LATENTKIT_THREADS)' },
  { name: 'workers', type: 'integer', arg: 'N', description: 'data-parallel training replicas, one thread each (default 1, or $LATENTKIT_WORKERS; the shared matrix products of --threads measured faster on 2 cores)' },
  // using a run
  { name: 'run', type: 'string', arg: 'RUN', description: 'a run folder written by latentkit train' },
  { name: 'n', type: 'integer', arg: 'N', description: 'number of images' },
  { name: 'label', type: 'integer', arg: 'L', description: 'class to generate (conditional models)' },
  { name: 'json', type: 'boolean', description: 'print one JSON object' },
  { name: 'iwae', type: 'integer', arg: 'K', description: 'importance samples for the log p(x) estimate (VAE family)' },
  { name: 'binarize', type: 'string', arg: 'MODE', choices: ['none', 'static', 'dynamic'], default: 'none', description: 'binarize pixels before evaluating' },
  { name: 'probe', type: 'boolean', description: 'also fit linear-probe and k-NN classifiers on codes, beside a PCA baseline' },
  // pictures
  { name: 'projection', type: 'string', arg: 'METHOD', choices: ['pca', 'tsne', 'umap'], default: 'pca', description: 'how codes larger than 2-D are projected' },
  { name: 'grid', type: 'integer', arg: 'N', default: 20, description: 'manifold: N×N decoded points' },
  { name: 'from', type: 'integer', arg: 'I', default: 0, description: 'interpolate: index of the first example' },
  { name: 'to', type: 'integer', arg: 'J', default: 1, description: 'interpolate: index of the second example' },
  { name: 'steps', type: 'integer', arg: 'N', default: 10, description: 'interpolate: points on the path' },
  { name: 'path', type: 'string', arg: 'KIND', choices: ['line', 'great-circle'], default: 'line', description: 'interpolate: straight line or great circle (slerp)' },
  // applications
  { name: 'score', type: 'string', arg: 'KIND', choices: ['recon', 'elbo', 'iwae'], default: 'recon', description: 'detect: anomaly score (reconstruction error, or −ELBO / −IWAE for VAEs)' },
  { name: 'contamination', type: 'number', arg: 'FRACTION', description: 'detect: fraction of the training data expected to be anomalous; sets the threshold' },
  { name: 'quantile', type: 'number', arg: 'Q', description: 'detect: threshold at this quantile of the training scores (e.g. 0.99)' },
  { name: 'anomaly-label', type: 'string', arg: 'LIST', description: 'detect: labels (or a 0/1 column name for csv) that mark true anomalies, for ROC-AUC and PR-AUC' },
  { name: 'corrupt', type: 'string', arg: 'NOISE', description: 'add noise first: gaussian:SIGMA, mask:FRACTION or salt-pepper:FRACTION' },
  { name: 'mask', type: 'string', arg: 'FRACTION|FILE', description: 'impute: hide this fraction of entries at random, or the pixels that are white in a mask image' },
  { name: 'max-iter', type: 'integer', arg: 'N', default: 50, description: 'impute: most encode-decode rounds' },
  { name: 'tol', type: 'number', arg: 'X', default: 0.0001, description: 'impute: stop when the largest change of a filled entry is below X' },
  { name: 'query', type: 'string', arg: 'I|FILE', description: 'search: an example index in --dataset, an image file, or a CSV file whose first row is the query' },
  { name: 'neighbors', type: 'integer', arg: 'K', default: 10, description: 'search: neighbours to return' },
  { name: 'metric', type: 'string', arg: 'NAME', choices: ['euclidean', 'cosine'], default: 'euclidean', description: 'search: distance between codes' },
  { name: 'bits', type: 'integer', arg: 'B', default: 8, description: 'compress: bits per code dimension (1-16)' },
  { name: 'input', type: 'string', arg: 'FILE', description: 'file to read (decompress: a .lkz file)' },
  { name: 'attribute', type: 'string', arg: 'SPEC', description: 'edit: label:L, factor:NAME (sprites) or column:NAME (csv); the vector is mean(z | attribute) − mean(z | not)' },
  { name: 'alpha', type: 'string', arg: 'LIST', default: '-2,-1,0,1,2', description: 'edit: multiples of the attribute vector to add, one picture row each' },
  // general
  { name: 'quiet', type: 'boolean', description: 'no progress output' },
  { name: 'verbose', type: 'boolean', description: 'print stack traces of errors' },
  { name: 'help', type: 'boolean', description: 'show help' },
];

const COMMON = ['backend', 'threads', 'verbose', 'help', 'quiet'];
const CSV = ['label-column', 'ignore-columns'];
/** Everything `train` takes (besides --resume); `detect fit` trains with the same flags. */
const TRAINING = ['model', 'dataset', 'data-dir', 'limit', 'classes', ...CSV, 'scale', 'arch', 'hidden', 'latent', 'activation', 'epochs', 'batch-size', 'lr', 'seed', 'out', 'workers'];
/** Flags of commands that apply a trained run to a dataset. */
const APPLY = ['run', 'dataset', 'data-dir', 'split', 'limit', 'classes', ...CSV];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'train',
    summary: 'train a model into a run folder',
    usage: 'latentkit train [--model vae] [--dataset sprites] [--epochs 10] [--out runs/NAME]',
    options: [...TRAINING, 'resume', ...COMMON],
    modelOptions: true,
    load: () => import('./commands/train.js'),
  },
  {
    name: 'sample',
    summary: 'decode z ~ N(0, I) into a grid of new images',
    usage: 'latentkit sample --run RUN [--n 64] [--label L] --out samples.png',
    options: ['run', 'n', 'out', 'seed', 'label', ...COMMON],
    load: () => import('./commands/sample.js'),
  },
  {
    name: 'reconstruct',
    summary: 'images beside their reconstructions',
    usage: 'latentkit reconstruct --run RUN [--dataset D] [--split test] [--n 32] --out recon.png',
    options: ['run', 'dataset', 'data-dir', 'split', 'classes', 'n', 'out', ...COMMON],
    load: () => import('./commands/reconstruct.js'),
  },
  {
    name: 'encode',
    summary: 'write the code of every example (CSV: label, then z; or .npy)',
    usage: 'latentkit encode --run RUN [--dataset D] [--split test] --out z.csv|z.npy',
    options: ['run', 'dataset', 'data-dir', 'split', 'limit', 'classes', 'out', ...COMMON],
    load: () => import('./commands/encode.js'),
  },
  {
    name: 'eval',
    summary: "the model's loss terms on a split (and more, see --help)",
    usage: 'latentkit eval --run RUN [--dataset D] [--split test] [--json]',
    options: ['run', 'dataset', 'data-dir', 'split', 'limit', 'classes', 'json', 'iwae', 'binarize', 'probe', 'seed', ...COMMON],
    load: () => import('./commands/eval.js'),
  },
  {
    name: 'plot',
    summary: 'pictures of a run: latent, pca-vs-ae, manifold, interpolate, curves, samples, reconstructions',
    usage: 'latentkit plot KIND --run RUN [--dataset D] --out FILE.png|FILE.svg',
    options: ['run', 'dataset', 'data-dir', 'split', 'limit', 'classes', 'out', 'n', 'seed', 'label', 'projection', 'grid', 'from', 'to', 'steps', 'path', ...COMMON],
    positionals: [{ name: 'KIND', choices: PLOT_KINDS }],
    load: () => import('./commands/plot.js'),
  },
  {
    name: 'report',
    summary: 'one self-contained HTML report of a run (config, metrics, curves, every picture that applies)',
    usage: 'latentkit report --run RUN [--dataset D] --out report.html',
    options: ['run', 'dataset', 'data-dir', 'limit', 'out', 'seed', ...COMMON],
    load: () => import('./commands/report.js'),
  },
  {
    name: 'detect',
    summary: 'anomaly detection: fit a threshold on normal data, then score examples (CSV of id, score, is_anomaly)',
    usage: 'latentkit detect fit [training flags | --run RUN] [--contamination 0.01]\n       latentkit detect score --run RUN [--dataset D] [--anomaly-label L] --out scores.csv',
    options: [...new Set([...TRAINING, ...APPLY, 'score', 'iwae', 'contamination', 'quantile', 'anomaly-label', 'json', ...COMMON])],
    modelOptions: true,
    positionals: [{ name: 'ACTION', choices: ['fit', 'score'] }],
    load: () => import('./commands/detect.js'),
  },
  {
    name: 'denoise',
    summary: 'clean images or rows with a (denoising) autoencoder; PSNR before and after',
    usage: 'latentkit denoise --run RUN [--dataset D] [--corrupt gaussian:0.5] [--n 8] --out denoised.png|rows.csv',
    options: [...APPLY, 'corrupt', 'n', 'out', 'seed', 'json', ...COMMON],
    load: () => import('./commands/denoise.js'),
  },
  {
    name: 'impute',
    summary: 'fill missing values by iterative reconstruction; RMSE against mean imputation',
    usage: 'latentkit impute --run RUN [--dataset D] [--mask 0.3|mask.png] [--max-iter 50] --out filled.png|filled.csv',
    options: [...APPLY, 'mask', 'max-iter', 'tol', 'n', 'out', 'seed', 'json', ...COMMON],
    load: () => import('./commands/impute.js'),
  },
  {
    name: 'search',
    summary: 'similarity search on codes: index a dataset, query the k nearest neighbours',
    usage: 'latentkit search index --run RUN [--dataset D] [--split train] [--metric cosine]\n       latentkit search query --run RUN --query I|FILE [--neighbors 10] [--out hits.png]\n       latentkit search evaluate --run RUN [--limit 1000] [--neighbors 10]   (precision@k: codes vs pixels vs PCA)',
    options: [...APPLY, 'query', 'neighbors', 'metric', 'out', 'json', ...COMMON],
    positionals: [{ name: 'ACTION', choices: ['index', 'query', 'evaluate'] }],
    load: () => import('./commands/search.js'),
  },
  {
    name: 'compress',
    summary: 'quantise codes to --bits per dimension into a compact .lkz file',
    usage: 'latentkit compress --run RUN [--dataset D] [--bits 8] --out codes.lkz',
    options: [...APPLY, 'bits', 'out', 'json', ...COMMON],
    load: () => import('./commands/compress.js'),
  },
  {
    name: 'decompress',
    summary: 'decode a .lkz file back into images (PNG grid) or rows (CSV, .npy)',
    usage: 'latentkit decompress --run RUN --input codes.lkz --out images.png|rows.csv|rows.npy',
    options: ['run', 'input', 'out', 'json', ...COMMON],
    load: () => import('./commands/decompress.js'),
  },
  {
    name: 'edit',
    summary: 'latent arithmetic: add α times an attribute vector to codes; a picture row per α',
    usage: 'latentkit edit --run RUN --attribute label:1|factor:scale|column:NAME [--alpha -2,-1,0,1,2] [--n 8] --out edit.png',
    options: [...APPLY, 'attribute', 'alpha', 'n', 'out', 'json', ...COMMON],
    load: () => import('./commands/edit.js'),
  },
  {
    name: 'interpolate',
    summary: 'decode the path between the codes of two examples',
    usage: 'latentkit interpolate --run RUN [--dataset D] --from I --to J [--steps 10] [--path great-circle] --out path.png',
    options: [...APPLY, 'from', 'to', 'steps', 'path', 'out', 'json', ...COMMON],
    load: () => import('./commands/interpolate.js'),
  },
];

export function findOption(name: string): OptionSpec {
  const spec = OPTIONS.find((o) => o.name === name);
  if (!spec) throw new Error(`option table has no '${name}'`);
  return spec;
}

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
