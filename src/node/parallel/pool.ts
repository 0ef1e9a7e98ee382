/**
 * The main thread's side of data-parallel training. The main thread is
 * participant 0 (its replica is the model the caller passed, so evaluation,
 * checkpoints and saving need no copy back); workers 1..n-1 hold replicas.
 *
 * Why every replica applies Adam rather than the main thread applying it
 * and broadcasting weights: the averaged gradient is in shared memory anyway,
 * and an Adam update costs about as much as copying the weights in, so each
 * replica updating its own weights costs one pass over the parameters in
 * parallel, while a broadcast costs the update on one thread plus a copy on
 * every other. Identical inputs and identical code keep replicas bitwise equal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Autoencoder } from '../../core/models/types.js';
import type { NamedTensor } from '../../core/train/engine.js';
import { abortBarrier, BarrierAborted, barrierAsync } from './barrier.js';
import type { Fault, WorkerInit, WorkerMessage } from './protocol.js';
import { Replica } from './replica.js';
import { allocateShared, Command, Control, shardRange, StepField, viewShared, type SharedViews } from './shared.js';

/** A compute barrier waiting this long means a participant is stuck. */
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/**
 * The compiled worker entry. Under the test runner this module is
 * TypeScript, which worker threads cannot load, so the built copy in dist/
 * is used (run `npm run build` first).
 */
export function workerEntry(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  if (path.extname(here) === '.js') return path.join(path.dirname(here), 'worker.js');
  const built = path.resolve(path.dirname(here), '../../../dist/node/parallel/worker.js');
  return fs.existsSync(built) ? built : undefined;
}

export interface ParallelOptions {
  /** Participants including the main thread (≥ 2). */
  workers: number;
  batchSize: number;
  dim: number;
  lr: number;
  backend: string;
  optimizerWeights?: NamedTensor[];
  timeoutMs?: number;
  /** Test hook: worker 1 fails inside this step (1-based, counted from start). */
  fault?: Fault;
}

/** The model's built-in definition is missing in the workers (a model registered at run time). */
export class UnknownModelInWorker extends Error {}

export type { StepValues } from '../../core/train/engine.js';
import type { StepValues } from '../../core/train/engine.js';

export class ParallelTrainer {
  private failure: Error | undefined;
  private reportFailure: (err: Error) => void = () => {};
  /** Settles with the first worker failure (its message may arrive after the abort flag). */
  private readonly failed = new Promise<Error>((resolve) => (this.reportFailure = resolve));
  private closed = false;

  private constructor(
    private readonly workers: Worker[],
    private readonly views: SharedViews,
    private readonly replica: Replica,
    private readonly timeoutMs: number,
  ) {}

  /** Start n-1 workers with replicas of `model` and `optimizer`; resolves when all are ready. */
  static async start(model: Autoencoder, optimizer: tf.Optimizer, options: ParallelOptions): Promise<ParallelTrainer> {
    const entry = workerEntry();
    if (!entry) throw new Error('parallel training needs the built worker (npm run build)');
    const vars = model.trainableVariables();
    const params = vars.reduce((n, v) => n + v.size, 0);
    const shared = allocateShared({ participants: options.workers, batchSize: options.batchSize, dim: options.dim, params });
    const views = viewShared(shared);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const base = {
      backend: options.backend,
      config: model.config,
      lr: options.lr,
      networkWeights: Object.fromEntries(Object.entries(model.networks).map(([name, net]) => [name, net.getWeights().map((w) => w.dataSync() as Float32Array)])),
      variables: vars.map((v) => v.dataSync() as Float32Array),
      optimizerWeights: options.optimizerWeights?.map((w) => ({ name: w.name, values: w.tensor.dataSync() as Float32Array | Int32Array, shape: w.tensor.shape, dtype: w.tensor.dtype as 'float32' | 'int32' })),
      shared,
      timeoutMs,
    };
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let k = 1; k < options.workers; k++) {
      const init: WorkerInit = { ...base, k, fault: k === 1 ? options.fault : undefined };
      const worker = new Worker(entry, { workerData: init });
      workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.once('message', (m: WorkerMessage) => {
            if (m.type === 'ready') resolve();
            else if (m.type === 'error') reject(m.unknownModel ? new UnknownModelInWorker(m.message) : new Error(`worker ${k} failed to start: ${m.message}`));
          });
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`worker ${k} exited (code ${code}) while starting`)));
        }),
      );
    }
    const trainer = new ParallelTrainer(workers, views, new Replica(0, model, optimizer, views), timeoutMs);
    try {
      await Promise.all(ready);
    } catch (err) {
      await trainer.terminate();
      throw err;
    }
    trainer.watch();
    return trainer;
  }

  /** From now on a worker's error or unexpected exit aborts the step in progress. */
  private watch(): void {
    this.workers.forEach((worker, i) => {
      worker.removeAllListeners();
      const fail = (err: Error) => {
        this.failure ??= err;
        this.reportFailure(this.failure);
        abortBarrier(this.views.control);
      };
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'error') fail(new Error(`training worker ${i + 1} failed: ${m.message}`));
      });
      worker.on('error', (err) => fail(new Error(`training worker ${i + 1} crashed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) fail(new Error(`training worker ${i + 1} exited unexpectedly (code ${code})`));
      });
    });
  }

  /** Loss term names (known after the first step). */
  get names(): string[] {
    return this.replica.names;
  }

  /** The shared batch memory: fill rows here before `step`. */
  get batch(): { x: Float32Array; labels: Int32Array } {
    return { x: this.views.x, labels: this.views.labels };
  }

  /** The averaged gradient of the last step as the replicas computed it, flattened in trainableVariables order. */
  averagedGradient(): Float32Array {
    const out = new Float32Array(this.views.sizes.params);
    let offset = 0;
    for (const { tensor } of this.replica.meanGradients()) {
      out.set(tensor.dataSync() as Float32Array, offset);
      offset += tensor.size;
      tensor.dispose();
    }
    return out;
  }

  /** One optimizer step on the `rows` rows already in `batch`. */
  async step(rows: number, epoch: number, stepSeed: number): Promise<StepValues> {
    const { step, control, sizes } = this.views;
    const n = sizes.participants;
    step[StepField.Command] = Command.Step;
    step[StepField.Rows] = rows;
    step[StepField.Epoch] = epoch;
    step[StepField.Seed] = stepSeed;
    try {
      await barrierAsync(control, n, this.timeoutMs);
      this.replica.computeShard();
      await barrierAsync(control, n, this.timeoutMs);
      this.replica.apply();
    } catch (err) {
      abortBarrier(control);
      throw err instanceof BarrierAborted ? await this.failureOr(err) : err;
    }
    return this.stepValues(rows);
  }

  /** The worker's own error when it arrives within a few seconds of the abort. */
  private async failureOr(fallback: Error): Promise<Error> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Error>((resolve) => (timer = setTimeout(() => resolve(fallback), 5000)));
    try {
      return await Promise.race([this.failed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The batch's loss and terms: shard values weighted by shard size. */
  private stepValues(rows: number): StepValues {
    const names = this.replica.names;
    const n = this.views.sizes.participants;
    const sums = new Array<number>(names.length + 1).fill(0);
    for (let k = 0; k < n; k++) {
      const [a, b] = shardRange(rows, k, n);
      if (b > a) for (let i = 0; i <= names.length; i++) sums[i] += ((b - a) / rows) * this.views.metrics[k][i];
    }
    const terms: Record<string, number> = {};
    names.forEach((name, i) => (terms[name] = sums[i + 1]));
    return { loss: sums[0], terms };
  }

  /** Stop the workers and wait for them to end (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    const { step, control, sizes } = this.views;
    if (!this.failure && Atomics.load(control, Control.Abort) === 0) {
      step[StepField.Command] = Command.Stop;
      try {
        await barrierAsync(control, sizes.participants, this.timeoutMs);
      } catch {
        // A worker already gone: terminate below handles it.
      }
    }
    await this.terminate();
  }

  private async terminate(): Promise<void> {
    this.closed = true;
    abortBarrier(this.views.control);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
