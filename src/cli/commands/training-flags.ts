/**
 * The flags that train a run, shared by `train` and `detect fit`: which
 * values go to the model's config and which to the training run.
 */
import type { BackendChoice } from '../../node/backend/index.js';
import type { ScaleKind } from '../../core/data/csv/scaler.js';
import { parseClassList } from '../../core/data/select.js';
import type { TrainRunOptions } from '../../node/run/train-run.js';
import type { CommandIO, OptionValues } from '../options.js';

/** Shared model flags; every other flag a command does not own is a model-specific setting. */
const MODEL_COMMON = ['arch', 'hidden', 'latent', 'activation'];

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Model settings: the shared model flags plus every flag the command does
 * not own (`ownOptions`: the command's option names from the option table).
 */
export function modelInputFrom(values: OptionValues, ownOptions: ReadonlySet<string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (MODEL_COMMON.includes(flag) || !ownOptions.has(flag)) input[camel(flag)] = value;
  }
  return input;
}

/** "a,b" as trimmed names. */
export function columnList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** --classes as numbers, or undefined when absent. */
export function classesFrom(values: OptionValues): number[] | undefined {
  return values.classes === undefined ? undefined : parseClassList(String(values.classes));
}

/**
 * Everything `trainRun` needs from the training flags, except the run
 * folder (`out`, `resume`) and the progress hooks, which each command sets.
 */
export function trainRunOptionsFrom(values: OptionValues, io: Pick<CommandIO, 'signal'>, ownOptions: ReadonlySet<string>): Omit<TrainRunOptions, 'out'> {
  return {
    model: values.model as string | undefined,
    modelInput: modelInputFrom(values, ownOptions),
    dataset: values.dataset as string | undefined,
    dataDir: values['data-dir'] as string | undefined,
    epochs: values.epochs as number | undefined,
    batchSize: values['batch-size'] as number | undefined,
    lr: values.lr as number | undefined,
    seed: values.seed as number | undefined,
    limit: values.limit as number | undefined,
    classes: classesFrom(values),
    labelColumn: values['label-column'] as string | undefined,
    ignoreColumns: columnList(values['ignore-columns']),
    scale: values.scale as ScaleKind | undefined,
    workers: values.workers as number | undefined,
    backend: values.backend as BackendChoice | undefined,
    signal: io.signal,
    quiet: values.quiet === true,
  };
}
