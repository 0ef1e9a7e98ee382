/**
 * The training loop. It knows nothing about any particular model: it shuffles,
 * batches, minimizes `forward(...).loss`, averages the named terms, evaluates
 * on the test split, and (given a run folder) checkpoints every epoch.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { disposeBatch, makeBatch } from '../data/batches.js';
import type { Dataset } from '../data/types.js';
import { DivergenceError } from '../errors.js';
import { appendLine, writeFileAtomic } from '../io/atomic.js';
import { evaluateLoss } from '../eval/loss.js';
import type { Autoencoder } from '../models/types.js';
import { Rng } from '../random.js';
import { runPaths, saveNetworks } from '../run/run-folder.js';
import { renderGenerated, renderReconstructions } from './snapshots.js';
import { saveCheckpoint, type NamedTensor, type TrainerState } from './checkpoint.js';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** When set, metrics, snapshots, checkpoints and the model are written here. */
  runDir?: string;
  /** Abort to stop after the current step (Ctrl-C). */
  signal?: AbortSignal;
  onStep?: (progress: StepProgress) => void;
  onEpoch?: (metrics: EpochMetrics) => void;
  /** Continue from a checkpoint instead of starting fresh. */
  resume?: { state: TrainerState; optimizerWeights: NamedTensor[] };
  /** Examples of the test split evaluated per epoch (default: all). */
  testLimit?: number;
  /**
   * Data-parallel worker threads (default: os.availableParallelism()). 1 runs
   * the plain single-thread loop. Same workers -> bit-identical runs; different
   * worker counts agree up to float rounding.
   */
  workers?: number;
  /** Stop after this many optimizer steps in total (benchmarks); the partial epoch is not evaluated. */
  maxSteps?: number;
}

export interface StepProgress {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
  samplesPerSecond: number;
}

/** One line of metrics.jsonl: epoch, train_<term>, test_<term>, seconds, samples_per_second. */
export type EpochMetrics = { epoch: number; seconds: number; samples_per_second: number } & Record<string, number>;

export interface TrainResult {
  metrics: EpochMetrics[];
  epochsCompleted: number;
  interrupted: boolean;
}

interface EpochTotals {
  loss: number;
  terms: Record<string, number>;
  examples: number;
}

/** One optimizer step; returns loss and term values for this batch. */
function trainStep(model: Autoencoder, optimizer: tf.Optimizer, batch: ReturnType<typeof makeBatch>, epoch: number, rng: Rng): { loss: number; terms: Record<string, number> } {
  let names: string[] = [];
  let values: tf.Tensor | undefined;
  optimizer.minimize(
    () => {
      const out = model.forward(batch, { training: true, epoch, rng });
      names = Object.keys(out.terms);
      values = tf.keep(tf.stack([out.loss, ...names.map((n) => out.terms[n])]));
      return out.loss;
    },
    false,
    model.trainableVariables(),
  );
  const data = values!.dataSync();
  values!.dispose();
  const terms: Record<string, number> = {};
  names.forEach((n, i) => (terms[n] = data[i + 1]));
  return { loss: data[0], terms };
}

function checkFinite(result: { loss: number; terms: Record<string, number> }, epoch: number, step: number): void {
  if (!Number.isFinite(result.loss)) throw new DivergenceError(epoch, step, 'loss');
  for (const [name, v] of Object.entries(result.terms)) if (!Number.isFinite(v)) throw new DivergenceError(epoch, step, name);
}

function accumulate(totals: EpochTotals, result: { loss: number; terms: Record<string, number> }, b: number): void {
  totals.loss += result.loss * b;
  for (const [n, v] of Object.entries(result.terms)) totals.terms[n] = (totals.terms[n] ?? 0) + v * b;
  totals.examples += b;
}

function epochMetrics(epoch: number, totals: EpochTotals, test: { loss: number; terms: Record<string, number> }, seconds: number): EpochMetrics {
  const row: Record<string, number> = { epoch, train_loss: totals.loss / totals.examples };
  for (const [n, v] of Object.entries(totals.terms)) row[`train_${n}`] = v / totals.examples;
  row.test_loss = test.loss;
  for (const [n, v] of Object.entries(test.terms)) row[`test_${n}`] = v;
  row.seconds = seconds;
  row.samples_per_second = totals.examples / seconds;
  return row as EpochMetrics;
}

/** Pictures of progress: decode a fixed z every epoch, and reconstruct the first test images. */
function writeSnapshots(runDir: string, model: Autoencoder, test: Dataset, epoch: number, seed: number): void {
  const dir = runPaths(runDir).samples;
  if (model.generative) writeFileAtomic(path.join(dir, `epoch-${epoch}-generated.png`), renderGenerated(model, seed, 64));
  writeFileAtomic(path.join(dir, `epoch-${epoch}-reconstructed.png`), renderReconstructions(model, test, 8));
}

/** Train `model` on `train`, evaluating on `test` after each epoch. */
export async function train(model: Autoencoder, trainSet: Dataset, testSet: Dataset, options: TrainOptions): Promise<TrainResult> {
  const rng = new Rng(options.seed);
  const optimizer = tf.train.adam(options.lr);
  let firstEpoch = 1;
  if (options.resume) {
    await optimizer.setWeights(options.resume.optimizerWeights);
    rng.setState(options.resume.state.rngState);
    firstEpoch = options.resume.state.epochsCompleted + 1;
  }
  const metrics: EpochMetrics[] = [];
  const steps = Math.ceil(trainSet.n / options.batchSize);
  const testView: Dataset = options.testLimit ? { ...testSet, n: Math.min(options.testLimit, testSet.n) } : testSet;
  let interrupted = false;
  let epochsCompleted = firstEpoch - 1;
  try {
    for (let epoch = firstEpoch; epoch <= options.epochs && !interrupted; epoch++) {
      const started = performance.now();
      const order = rng.permutation(trainSet.n);
      const totals: EpochTotals = { loss: 0, terms: {}, examples: 0 };
      for (let step = 0; step < steps; step++) {
        const start = step * options.batchSize;
        const end = Math.min(trainSet.n, start + options.batchSize);
        const batch = makeBatch(trainSet, order, start, end);
        let result;
        try {
          result = trainStep(model, optimizer, batch, epoch - 1 + step / steps, rng);
        } finally {
          disposeBatch(batch);
        }
        checkFinite(result, epoch, step + 1);
        accumulate(totals, result, end - start);
        const elapsed = (performance.now() - started) / 1000;
        options.onStep?.({ epoch, step: step + 1, steps, loss: totals.loss / totals.examples, samplesPerSecond: totals.examples / elapsed });
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
      }
      if (interrupted) break;
      const seconds = (performance.now() - started) / 1000;
      const test = evaluateLoss(model, testView, { seed: options.seed + 1, epoch });
      const row = epochMetrics(epoch, totals, test, seconds);
      metrics.push(row);
      epochsCompleted = epoch;
      if (options.runDir) await persistEpoch(options.runDir, model, optimizer, testSet, row, { epochsCompleted: epoch, rngState: rng.getState() }, options.seed);
      options.onEpoch?.(row);
      // Let a pending SIGINT be delivered between epochs.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (interrupted && options.runDir) await saveNetworks(model, runPaths(options.runDir).model);
  } finally {
    optimizer.dispose();
  }
  return { metrics, epochsCompleted, interrupted };
}

async function persistEpoch(runDir: string, model: Autoencoder, optimizer: tf.Optimizer, test: Dataset, row: EpochMetrics, state: TrainerState, seed: number): Promise<void> {
  // Checkpoint before the metrics line: on resume, lines past the checkpoint are dropped.
  await saveCheckpoint(runDir, model, optimizer, state);
  appendLine(runPaths(runDir).metrics, JSON.stringify(row));
  await saveNetworks(model, runPaths(runDir).model);
  writeSnapshots(runDir, model, test, state.epochsCompleted, seed);
}
