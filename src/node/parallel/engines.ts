/**
 * Node's training engine: data-parallel steps across worker threads when
 * more than one replica is asked for, the core's local engine otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchBuffer } from '../../core/data/batches.js';
import { FieldError, UsageError } from '../../core/errors.js';
import { localEngine, type EngineRequest, type StepEngine, type StepValues } from '../../core/train/engine.js';
import type { Rng } from '../../core/random.js';
import { setComputeThreads } from '../backend/threads.js';
import { ParallelTrainer, UnknownModelInWorker, workerEntry } from './pool.js';
import { hasRunningStatistics } from '../../core/models/shared/networks.js';

/**
 * Data-parallel steps: each shard's noise derives from the step seed, which
 * depends only on the run's seed, the epoch and the step, so the shuffles
 * are the same as the local loop's for models that draw no noise.
 */
export class ParallelEngine implements StepEngine {
  readonly batch: BatchBuffer;

  constructor(
    private readonly trainer: ParallelTrainer,
    readonly workers: number,
    dim: number,
    batchSize: number,
    /** The main thread's kernel threads before training (restored on close). */
    private readonly threadsBefore: number | undefined,
  ) {
    this.batch = new BatchBuffer(batchSize, dim, trainer.batch);
  }

  get names(): string[] {
    return this.trainer.names;
  }

  step(rows: number, epoch: number, _rng: Rng, stepSeed: number): Promise<StepValues> {
    return this.trainer.step(rows, epoch, stepSeed);
  }

  async close(): Promise<void> {
    try {
      await this.trainer.close();
    } finally {
      setComputeThreads(this.threadsBefore);
    }
  }
}

/**
 * Replicas used when --workers is not given: $LATENTKIT_WORKERS when set,
 * otherwise 1. Measured on 2 cores (default VAE, interleaved rounds): one
 * replica whose large matrix products are shared across both cores
 * (src/backend/threads.ts) ~12.5 ms per step; 2 data-parallel replicas ~15;
 * one thread alone ~16. Data parallelism pays where there are more cores
 * than a product can use, or batches much larger than 128.
 */
export function defaultWorkers(env: Record<string, string | undefined> = process.env): number {
  const text = env.LATENTKIT_WORKERS;
  if (text === undefined || text === '') return 1;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`LATENTKIT_WORKERS must be a positive integer (got '${text}')`);
  return n;
}

/** The participant count to use, or 1 for the single-thread loop. */
export function chooseWorkers(requested: number | undefined, batchSize: number): number {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) throw new UsageError(`workers must be a positive integer (got ${requested})`);
  const n = requested ?? defaultWorkers();
  // Each participant needs at least one row; tfjs-node already uses every core itself.
  if (tf.getBackend() === 'tensorflow') return 1;
  return Math.max(1, Math.min(n, batchSize));
}

/** The engine for `request`: worker threads for more than one replica, else the core's own. */
export async function createEngine(request: EngineRequest): Promise<StepEngine> {
  const { model, optimizer, batchSize, dim } = request;
  const workers = chooseWorkers(request.workers, batchSize);
  const explicit = request.workers !== undefined;
  const local = () => localEngine(request);
  if (workers === 1) return local();
  if (model.singleThreadTraining) {
    if (explicit) throw new FieldError('workers', `must be 1 for this model: ${model.singleThreadTraining}`);
    return local();
  }
  if (!workerEntry()) {
    if (explicit) throw new UsageError('workers > 1 needs the compiled worker (run npm run build)');
    return local();
  }
  // Replicas share gradients, not moving statistics: each would keep its own, from its shard's batches.
  if (hasRunningStatistics(model.networks)) {
    if (explicit) throw new FieldError('workers', 'must be 1 for networks with batch normalisation (each replica would keep its own moving statistics)');
    return local();
  }
  // Every core runs a replica: the main thread's kernels stay on it alone, as the workers' do.
  const threadsBefore = setComputeThreads(1);
  try {
    const trainer = await ParallelTrainer.start(model, optimizer, { workers, batchSize, dim, lr: request.lr, backend: tf.getBackend(), optimizerWeights: request.optimizerWeights });
    return new ParallelEngine(trainer, workers, dim, batchSize, threadsBefore);
  } catch (err) {
    setComputeThreads(threadsBefore);
    if (!(err instanceof UnknownModelInWorker)) throw err;
    // A model registered at run time exists only in this thread.
    if (explicit) throw new UsageError(`model '${model.config.model}' is not built in, so worker threads cannot rebuild it; use workers 1`);
    return local();
  }
}
