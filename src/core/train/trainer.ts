/**
 * The training loop. It knows nothing about any particular model, nor where
 * anything is stored: it shuffles, batches, minimizes `forward(...).loss`,
 * averages the named terms and evaluates on the test split. With
 * `validation` it holds out some training rows and keeps the weights that
 * did best on them (early stopping). What happens at
 * the end of an epoch (a checkpoint, metrics, pictures: the run writer of
 * the Node adapter, or the lab's page) is a hook.
 */
import * as tf from '@tensorflow/tfjs-core';
import { featureSize, type Dataset } from '../data/types.js';
import { pickRows } from '../data/select.js';
import { DivergenceError, FieldError } from '../errors.js';
import { evaluateLoss } from '../eval/loss.js';
import type { Autoencoder } from '../models/types.js';
import { Rng } from '../random.js';
import { localEngine, type EngineFactory, type NamedTensor, type StepEngine, type StepValues } from './engine.js';
import { createOptimizer } from './optimizer.js';
import { stepSeed } from './seeds.js';
import { mulberry32 } from '../data/random.js';

/** An epoch stopped part way: enough to run its remaining steps exactly as an uninterrupted run would. */
export interface PartialEpoch {
  /** Steps of the epoch already run (the weights and optimizer include them). */
  steps: number;
  /** The trainer's Rng state after those steps (the epoch's shuffle comes from `TrainerState.rngState`). */
  rngState: number;
  /** The running sums behind the epoch's train_* metrics. */
  totals: EpochTotals;
  /** Time spent on those steps, so the epoch's speed stays meaningful. */
  seconds: number;
}

/** Where the loop stands; with the model and optimizer, what a checkpoint holds. */
export interface TrainerState {
  /** Epochs fully completed. */
  epochsCompleted: number;
  /** The trainer's Rng state at the start of epoch `epochsCompleted + 1`. */
  rngState: number;
  /** Set when training stopped inside epoch `epochsCompleted + 1`: where to pick it up. */
  partial?: PartialEpoch;
}

/** What the epoch-end hook sees. */
export interface EpochEnd {
  metrics: EpochMetrics;
  model: Autoencoder;
  optimizer: tf.Optimizer;
  state: TrainerState;
  /** The test split (for pictures of reconstructions). */
  testSet: Dataset;
}

/** Points where a platform plugs in: storing a run, updating a page. Each may be async; the loop waits. */
export interface TrainHooks {
  /** Before the first step: the starting weights and state (a run writer keeps them as epoch 0, or the resumed epoch). */
  started?(start: { model: Autoencoder; optimizer: tf.Optimizer; state: TrainerState }): Promise<void> | void;
  /** After each completed epoch, before `onEpoch`. */
  epochEnd?(end: EpochEnd): Promise<void> | void;
  /**
   * Training stopped before its last epoch (interrupted or out of steps).
   * The model and optimizer hold the latest weights, part way into epoch
   * `state.epochsCompleted + 1`; `state.partial` says how far, so a
   * checkpoint of it resumes with the next step, as if never stopped.
   */
  stopped?(info: { model: Autoencoder; optimizer: tf.Optimizer; state: TrainerState; reason: 'interrupted' | 'max-steps' }): Promise<void> | void;
  /** With validation: the model was set back to the weights of epoch `best.epoch`, the lowest held-out loss (a run writer saves them as the run's model). */
  restored?(info: { model: Autoencoder; best: BestEpoch }): Promise<void> | void;
}

/**
 * Early stopping: hold out a fraction of the training rows, measure the loss
 * on them after every epoch, stop after `patience` epochs without a lower one
 * and end with the weights of the best epoch. The number of steps is then
 * chosen by held-out loss rather than fixed in advance.
 */
export interface ValidationOptions {
  /** Training rows held out, in (0, 1); at least one row is held out and one kept. */
  fraction: number;
  /** Epochs without a lower held-out loss before training stops. */
  patience: number;
}

/** The epoch whose weights had the lowest held-out loss. */
export interface BestEpoch {
  epoch: number;
  loss: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** What to do at the end of each epoch and on an early stop (e.g. write a run folder). */
  hooks?: TrainHooks;
  /** How steps run (default: this thread; Node offers worker threads). */
  engine?: EngineFactory;
  /** Abort to stop after the current step (Ctrl-C). */
  signal?: AbortSignal;
  onStep?: (progress: StepProgress) => void;
  onEpoch?: (metrics: EpochMetrics) => void;
  /** Continue from a checkpoint instead of starting fresh. */
  resume?: { state: TrainerState; optimizerWeights: NamedTensor[] };
  /** Examples of the test split evaluated per epoch (default: all). */
  testLimit?: number;
  /**
   * Data-parallel replicas, for engines that have them (Node's worker
   * threads). Same workers -> bit-identical runs; different worker counts
   * agree up to float rounding.
   */
  workers?: number;
  /** Stop after this many optimizer steps in total (benchmarks); the partial epoch is not evaluated. */
  maxSteps?: number;
  /** `dynamic`: every batch's pixels are drawn afresh from Bernoulli(x) (static binarization happens to the data, before). */
  binarize?: 'none' | 'static' | 'dynamic';
  /** Early stopping on held-out training rows (see {@link ValidationOptions}). */
  validation?: ValidationOptions;
}

export interface StepProgress {
  epoch: number;
  /** Epochs in all, counting those of earlier sessions of a resumed run. */
  epochs: number;
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
  /** Optimizer steps run by this call. */
  steps: number;
  /** Threads that shared each step (1: the single-thread loop). */
  workers: number;
  /** With validation: the epoch whose weights the model holds at the end. */
  best?: BestEpoch;
}

export interface EpochTotals {
  loss: number;
  terms: Record<string, number>;
  examples: number;
}

function checkFinite(result: StepValues, epoch: number, step: number): void {
  if (!Number.isFinite(result.loss)) throw new DivergenceError(epoch, step, 'loss', epoch - 1);
  for (const [name, v] of Object.entries(result.terms)) if (!Number.isFinite(v)) throw new DivergenceError(epoch, step, name, epoch - 1);
}

/** A test loss that is not finite means the weights diverged during the epoch: they are not kept. */
function checkTestFinite(test: { loss: number; terms: Record<string, number> }, epoch: number): void {
  const bad = !Number.isFinite(test.loss) ? 'loss' : Object.keys(test.terms).find((n) => !Number.isFinite(test.terms[n]));
  if (bad !== undefined) throw new DivergenceError(epoch, 0, `test ${bad}`, epoch - 1);
}

function accumulate(totals: EpochTotals, result: StepValues, b: number): void {
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

/** Give the event loop a turn (setImmediate in Node, a zero timeout in a page or worker). */
const yieldToEvents = (): Promise<void> => new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/** Steps whose losses are read together: one backend read per group, not per step. */
const READ_EVERY = 16;

/** A step whose loss may still be on the backend. */
interface PendingStep {
  step: number;
  rows: number;
  values: tf.Tensor | StepValues;
}

/** Read a group of steps' losses with one asynchronous read, in step order. */
async function readSteps(pending: PendingStep[], names: string[]): Promise<StepValues[]> {
  const tensors = pending.map((p) => p.values).filter((v): v is tf.Tensor => v instanceof tf.Tensor);
  let flat: Float32Array | undefined;
  if (tensors.length > 0) {
    const joined = tf.concat(tensors); // [steps · (1 + terms)]
    flat = (await joined.data()) as Float32Array;
    joined.dispose();
    tf.dispose(tensors);
  }
  const width = 1 + names.length;
  let row = 0;
  return pending.map((p) => {
    if (!(p.values instanceof tf.Tensor)) return p.values;
    const at = row++ * width;
    const terms: Record<string, number> = {};
    names.forEach((n, i) => (terms[n] = flat![at + 1 + i]));
    return { loss: flat![at], terms };
  });
}

/**
 * Replace the first `count` values of `x` (pixels in [0, 1]) by 0/1 draws with
 * P(1) = x, from a seed of the step: the same run draws the same pixels, on
 * any engine (the worker threads read this very buffer).
 */
export function drawBernoulli(x: Float32Array, count: number, seed: number): void {
  const rand = mulberry32(seed ^ 0x5bd1e995);
  for (let i = 0; i < count; i++) x[i] = rand() < x[i]! ? 1 : 0;
}

/** Where an epoch starts: at its first step, or where a stopped run left it. */
interface EpochStart {
  firstStep: number;
  totals: EpochTotals;
  /** Milliseconds already spent on the epoch. */
  spent: number;
}

/**
 * Shuffle the epoch's order from the Rng (at the epoch's start state), then
 * move the Rng on to where a partial epoch stopped, so its remaining steps
 * draw what they would have drawn without the stop.
 */
function beginEpoch(rng: Rng, n: number, partial: PartialEpoch | undefined): { order: Int32Array; start: EpochStart } {
  const order = rng.permutation(n);
  if (!partial) return { order, start: { firstStep: 0, totals: { loss: 0, terms: {}, examples: 0 }, spent: 0 } };
  rng.setState(partial.rngState);
  const totals = { loss: partial.totals.loss, terms: { ...partial.totals.terms }, examples: partial.totals.examples };
  return { order, start: { firstStep: partial.steps, totals, spent: partial.seconds * 1000 } };
}

/** Seed offset of the held-out rows' draw, apart from the shuffles. */
const HOLD_OUT_SEED = 0x68656c64;

/**
 * Split the training rows into those trained on and those held out: a seeded
 * draw of round(fraction · n) rows (at least one, and one left to train on),
 * each part in its original order.
 */
export function holdOut(ds: Dataset, fraction: number, seed: number): { fit: Dataset; held: Dataset } {
  if (!(fraction > 0 && fraction < 1)) throw new FieldError('validation', `must be a fraction in (0, 1), got ${fraction}`);
  if (ds.n < 2) throw new FieldError('validation', `needs at least 2 training examples to hold some out, got ${ds.n}`);
  const count = Math.min(ds.n - 1, Math.max(1, Math.round(fraction * ds.n)));
  const order = new Rng(seed + HOLD_OUT_SEED).permutation(ds.n);
  const held = Array.from(order.subarray(0, count)).sort((a, b) => a - b);
  const isHeld = new Uint8Array(ds.n);
  for (const r of held) isHeld[r] = 1;
  const fit: number[] = [];
  for (let i = 0; i < ds.n; i++) if (!isHeld[i]) fit.push(i);
  return { fit: pickRows(ds, fit), held: pickRows(ds, held) };
}

/** The weights of every network, copied (LayersModel.getWeights gives the live variables' values). */
function snapshotWeights(model: Autoencoder): tf.Tensor[][] {
  return Object.values(model.networks).map((net) => net.getWeights().map((w) => tf.clone(w)));
}

function restoreWeights(model: Autoencoder, saved: tf.Tensor[][]): void {
  Object.values(model.networks).forEach((net, i) => net.setWeights(saved[i]!));
}

/**
 * Tracks the held-out loss across epochs, keeping a copy of the best weights.
 * The held-out loss is measured with one fixed seed and epoch, so a
 * stochastic loss (a VAE's draws, an annealed β) compares across epochs.
 */
class EarlyStopping {
  best: (BestEpoch & { weights: tf.Tensor[][] }) | undefined;
  private sinceBest = 0;

  constructor(
    private readonly held: Dataset,
    private readonly options: ValidationOptions,
    private readonly seed: number,
  ) {}

  /** Measure epoch `epoch`'s weights; true when training should stop. */
  observe(model: Autoencoder, epoch: number, row: Record<string, number>): boolean {
    const { loss } = evaluateLoss(model, this.held, { seed: this.seed });
    row.validation_loss = loss;
    if (!Number.isFinite(loss)) throw new DivergenceError(epoch, 0, 'validation loss', epoch - 1);
    if (!this.best || loss < this.best.loss) {
      if (this.best) tf.dispose(this.best.weights.flat());
      this.best = { epoch, loss, weights: snapshotWeights(model) };
      this.sinceBest = 0;
      return false;
    }
    return ++this.sinceBest >= this.options.patience;
  }

  /** Put the best weights back into the model; the best epoch, if any epoch was measured. */
  restore(model: Autoencoder): BestEpoch | undefined {
    if (!this.best) return undefined;
    restoreWeights(model, this.best.weights);
    return { epoch: this.best.epoch, loss: this.best.loss };
  }

  dispose(): void {
    if (this.best) tf.dispose(this.best.weights.flat());
  }
}

/** Train `model` on `train`, evaluating on `test` after each epoch. */
export async function train(model: Autoencoder, allTrainRows: Dataset, testSet: Dataset, options: TrainOptions): Promise<TrainResult> {
  const split = options.validation ? holdOut(allTrainRows, options.validation.fraction, options.seed) : undefined;
  const trainSet = split?.fit ?? allTrainRows;
  const early = split ? new EarlyStopping(split.held, options.validation!, options.seed + 2) : undefined;
  let best: BestEpoch | undefined;
  const rng = new Rng(options.seed);
  const optimizer = createOptimizer(options.lr);
  let firstEpoch = 1;
  let partial: PartialEpoch | undefined;
  if (options.resume) {
    await optimizer.setWeights(options.resume.optimizerWeights);
    rng.setState(options.resume.state.rngState);
    firstEpoch = options.resume.state.epochsCompleted + 1;
    partial = options.resume.state.partial;
  }
  const metrics: EpochMetrics[] = [];
  const steps = Math.ceil(trainSet.n / options.batchSize);
  const testView: Dataset = options.testLimit ? { ...testSet, n: Math.min(options.testLimit, testSet.n) } : testSet;
  const maxSteps = options.maxSteps ?? Infinity;
  let interrupted = false;
  let stopped = false;
  let epochsCompleted = firstEpoch - 1;
  let stopState: TrainerState | undefined;
  let stepsRun = 0;
  let engine: StepEngine | undefined;
  try {
    // Workers start from the restored Adam state (getWeights makes a fresh iteration-count tensor).
    const restored = options.resume ? await optimizer.getWeights() : undefined;
    engine = await (options.engine ?? localEngine)({ model, optimizer, batchSize: options.batchSize, dim: featureSize(trainSet), lr: options.lr, workers: options.workers, optimizerWeights: restored });
    restored?.[0]?.tensor.dispose();
    await options.hooks?.started?.({ model, optimizer, state: { epochsCompleted, rngState: rng.getState(), ...(partial ? { partial } : {}) } });
    for (let epoch = firstEpoch; epoch <= options.epochs && !interrupted && !stopped; epoch++) {
      const epochRngState = rng.getState();
      const { order, start } = beginEpoch(rng, trainSet.n, partial);
      partial = undefined;
      const started = performance.now() - start.spent;
      const totals = start.totals;
      let done = start.firstStep;
      let pending: PendingStep[] = [];
      const drain = async () => {
        const values = await readSteps(pending, engine!.names);
        pending.forEach((p, i) => {
          checkFinite(values[i], epoch, p.step);
          accumulate(totals, values[i], p.rows);
        });
        const last = pending[pending.length - 1];
        pending = [];
        const elapsed = (performance.now() - started) / 1000;
        options.onStep?.({ epoch, epochs: options.epochs, step: last.step, steps, loss: totals.loss / totals.examples, samplesPerSecond: totals.examples / elapsed });
        // Let a pending interrupt (SIGINT, a Stop button) reach its handler.
        await yieldToEvents();
      };
      try {
        for (let step = start.firstStep; step < steps; step++) {
          const begin = step * options.batchSize;
          const rows = engine.batch.fill(trainSet, order, begin, Math.min(trainSet.n, begin + options.batchSize));
          if (options.binarize === 'dynamic') drawBernoulli(engine.batch.x, rows * featureSize(trainSet), stepSeed(options.seed, epoch, step));
          pending.push({ step: step + 1, rows, values: await engine.step(rows, epoch - 1 + step / steps, rng, stepSeed(options.seed, epoch, step)) });
          stepsRun++;
          done = step + 1;
          stopped = stepsRun >= maxSteps;
          if (pending.length >= READ_EVERY || step === steps - 1 || stopped) await drain();
          if (options.signal?.aborted) interrupted = true;
          if (interrupted || stopped) break;
        }
        if (pending.length > 0) await drain();
      } finally {
        tf.dispose(pending.map((p) => p.values).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
      }
      if (interrupted || stopped) {
        const seconds = (performance.now() - started) / 1000;
        stopState = { epochsCompleted, rngState: epochRngState, partial: { steps: done, rngState: rng.getState(), totals, seconds } };
        break;
      }
      const seconds = (performance.now() - started) / 1000;
      const test = evaluateLoss(model, testView, { seed: options.seed + 1, epoch });
      checkTestFinite(test, epoch);
      const row = epochMetrics(epoch, totals, test, seconds);
      if (early?.observe(model, epoch, row)) stopped = true;
      metrics.push(row);
      epochsCompleted = epoch;
      await options.hooks?.epochEnd?.({ metrics: row, model, optimizer, state: { epochsCompleted: epoch, rngState: rng.getState() }, testSet });
      options.onEpoch?.(row);
      // Let a pending interrupt be delivered between epochs.
      await yieldToEvents();
    }
    await engine.close();
    if (stopState) await options.hooks?.stopped?.({ model, optimizer, state: stopState, reason: interrupted ? 'interrupted' : 'max-steps' });
    // An interrupted run keeps its latest weights, to resume from; a finished one ends at its best.
    best = interrupted ? undefined : early?.restore(model);
    if (best) await options.hooks?.restored?.({ model, best });
  } finally {
    await engine?.close();
    optimizer.dispose();
    early?.dispose();
  }
  return { metrics, epochsCompleted, interrupted, steps: stepsRun, workers: engine?.workers ?? 1, ...(best ? { best } : {}) };
}
