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
  { name: 'dataset', type: 'string', arg: 'NAME', description: 'mnist, fashion-mnist, sprites (built in), or idx:<folder>' },
  { name: 'data-dir', type: 'string', arg: 'DIR', description: 'folder holding the dataset files (else $LATENTKIT_DATA_DIR, the cache, a download)' },
  { name: 'split', type: 'string', arg: 'SPLIT', choices: SPLITS, default: 'test', description: 'which split to use' },
  { name: 'limit', type: 'integer', arg: 'N', description: 'use only the first N examples' },
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
  // general
  { name: 'quiet', type: 'boolean', description: 'no progress output' },
  { name: 'verbose', type: 'boolean', description: 'print stack traces of errors' },
  { name: 'help', type: 'boolean', description: 'show help' },
];

const COMMON = ['backend', 'verbose', 'help', 'quiet'];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'train',
    summary: 'train a model into a run folder',
    usage: 'latentkit train [--model vae] [--dataset sprites] [--epochs 10] [--out runs/NAME]',
    options: ['model', 'dataset', 'data-dir', 'limit', 'arch', 'hidden', 'latent', 'activation', 'epochs', 'batch-size', 'lr', 'seed', 'out', 'resume', ...COMMON],
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
    options: ['run', 'dataset', 'data-dir', 'split', 'n', 'out', ...COMMON],
    load: () => import('./commands/reconstruct.js'),
  },
  {
    name: 'encode',
    summary: 'write the code of every example (CSV: label, then z; or .npy)',
    usage: 'latentkit encode --run RUN [--dataset D] [--split test] --out z.csv|z.npy',
    options: ['run', 'dataset', 'data-dir', 'split', 'limit', 'out', ...COMMON],
    load: () => import('./commands/encode.js'),
  },
  {
    name: 'eval',
    summary: "the model's loss terms on a split (and more, see --help)",
    usage: 'latentkit eval --run RUN [--dataset D] [--split test] [--json]',
    options: ['run', 'dataset', 'data-dir', 'split', 'limit', 'json', 'iwae', 'binarize', 'probe', 'seed', ...COMMON],
    load: () => import('./commands/eval.js'),
  },
  {
    name: 'plot',
    summary: 'pictures of a run: latent, pca-vs-ae, manifold, interpolate, curves, samples, reconstructions',
    usage: 'latentkit plot KIND --run RUN [--dataset D] --out FILE.png|FILE.svg',
    options: ['run', 'dataset', 'data-dir', 'split', 'limit', 'out', 'n', 'seed', 'label', 'projection', 'grid', 'from', 'to', 'steps', 'path', ...COMMON],
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
];

export function findOption(name: string): OptionSpec {
  const spec = OPTIONS.find((o) => o.name === name);
  if (!spec) throw new Error(`option table has no '${name}'`);
  return spec;
}

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
