/**
 * config.json of a run: how to rebuild the model and read its data. The run
 * folder's layout is a contract (docs/run-format.md); this is its first file,
 * read the same way wherever the folder comes from (disk, a browser upload,
 * IndexedDB).
 */
import { z } from 'zod';
import { BINARIZE_MODES } from '../requests/jobs.js';
import type { BinarizeMode } from '../data/load.js';
import type { TableSchema } from '../data/csv/schema.js';
import type { ImageReadOptions } from '../data/image-options.js';
import { UsageError } from '../errors.js';
import type { CommonConfig } from '../models/types.js';

export const RUN_FORMAT = 'latentkit-run';
export const RUN_FORMAT_VERSION = 1;

export interface RunConfig {
  format: typeof RUN_FORMAT;
  formatVersion: number;
  /** latentkit version that wrote the run. */
  version: string;
  model: CommonConfig & Record<string, unknown>;
  data: {
    dataset: string;
    shape: [number, number, number];
    numClasses: number;
    classNames?: string[];
    /** Training examples used (after classes and limit). */
    trainExamples: number;
    limit: number | null;
    /** The only labels trained on (absent: all). */
    classes?: number[];
    /** csv datasets: the columns, label mapping and fitted scaler that read new rows the same way. */
    table?: TableSchema;
    /** Image files (images:, celeba:): the size, channels, attributes, label attribute and bad-file choice they were read with. */
    images?: ImageReadOptions;
  };
  training: {
    epochs: number;
    batchSize: number;
    lr: number;
    seed: number;
    backend: string;
    /** How pixels were made 0/1 for training (absent in runs that predate it: none). */
    binarize?: BinarizeMode;
    /** Early stopping on held-out training rows (absent: trained on every row for every epoch). */
    validation?: { fraction: number; patience: number };
  };
  /** Names of the networks under model/. */
  networks: string[];
  createdAt: string;
}

const positive = z.int().min(1);
const shape = z.tuple([positive, positive, positive]);

/** What a config.json must hold for latentkit to use it (extra keys are kept). */
const runConfigShape = z.looseObject({
  format: z.literal(RUN_FORMAT),
  formatVersion: z.int().min(1),
  version: z.string(),
  model: z.looseObject({
    model: z.string().min(1),
    arch: z.string(),
    inputShape: shape,
    numClasses: z.int().min(0),
    hidden: z.array(positive),
    latent: positive,
    activation: z.string(),
  }),
  data: z.looseObject({
    dataset: z.string().min(1),
    shape,
    numClasses: z.int().min(0),
    trainExamples: z.int().min(0),
    limit: positive.nullable(),
    classes: z.array(z.int().min(0)).optional(),
  }),
  training: z.looseObject({ epochs: positive, batchSize: positive, lr: z.number().positive(), seed: z.int().min(0), backend: z.string(), binarize: z.enum(BINARIZE_MODES).optional(), validation: z.object({ fraction: z.number().gt(0).lt(1), patience: positive }).optional() }),
  networks: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/)).min(1),
  createdAt: z.string(),
});

/**
 * A run's config from the text of its config.json. `where` names the file in
 * messages.
 *
 * @throws UsageError for text that is not JSON, not a latentkit run config, a
 *   newer run format, or a config missing what a model needs
 */
export function parseRunConfig(text: string, where: string): RunConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`corrupt ${where} (not valid JSON)`);
  }
  if (typeof json !== 'object' || json === null || (json as { format?: unknown }).format !== RUN_FORMAT) throw new UsageError(`${where} is not a latentkit run config`);
  const version = (json as { formatVersion?: unknown }).formatVersion;
  if (typeof version === 'number' && version > RUN_FORMAT_VERSION) throw new UsageError(`${where} was written by a newer latentkit (run format ${version}); upgrade latentkit`);
  const parsed = runConfigShape.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`corrupt ${where}: ${issue.path.join('.') || 'the file'} ${issue.message.toLowerCase()}`);
  }
  return parsed.data as unknown as RunConfig;
}

/** The text of config.json for `config`. */
export function formatRunConfig(config: RunConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
