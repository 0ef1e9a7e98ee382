/**
 * How the training loop runs one optimizer step. The core's engine minimizes
 * in this thread; a platform may supply another (Node's data-parallel worker
 * threads) through an EngineFactory. Either way the loop fills a reusable
 * batch buffer and gets the step's loss and terms back: as a tensor still on
 * the backend (read later, in groups) or as numbers already in hand.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchBuffer, disposeBatch } from '../data/batches.js';
import type { Autoencoder, ModelOutput } from '../models/types.js';
import type { Rng } from '../random.js';

/** A step's loss and named terms as numbers. */
export interface StepValues {
  loss: number;
  terms: Record<string, number>;
}

/** One named optimizer weight, as `Optimizer.getWeights` returns it. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface StepEngine {
  readonly batch: BatchBuffer;
  /** Participants sharing each step (1: this thread only). */
  readonly workers: number;
  /** Names of the loss terms, in the order of a step tensor's values after the loss; known after the first step. */
  readonly names: string[];
  /**
   * One optimizer step on the first `rows` rows of `batch`. The local engine
   * draws its noise from `rng`; a parallel one derives each shard's noise
   * from `stepSeed` and leaves `rng` to the shuffles.
   */
  step(rows: number, epoch: number, rng: Rng, stepSeed: number): Promise<tf.Tensor | StepValues>;
  close(): Promise<void>;
}

/** What an engine is built from. */
export interface EngineRequest {
  model: Autoencoder;
  optimizer: tf.Optimizer;
  batchSize: number;
  dim: number;
  lr: number;
  /** Requested participants (undefined: the platform's default). */
  workers?: number;
  /** Adam state the optimizer was restored from (replicas start from the same). */
  optimizerWeights?: NamedTensor[];
}

export type EngineFactory = (request: EngineRequest) => Promise<StepEngine>;

/** What a forward pass reports per step: its terms, then its metrics (which are not in the loss). */
export function reportedScalars(out: ModelOutput): Record<string, tf.Scalar> {
  return { ...out.terms, ...out.metrics };
}

/** The plain loop: minimize in this thread; the loss stays on the backend as [loss, ...terms]. */
export class LocalEngine implements StepEngine {
  readonly workers = 1;
  names: string[] = [];
  private readonly vars: tf.Variable[];

  constructor(
    private readonly model: Autoencoder,
    private readonly optimizer: tf.Optimizer,
    readonly batch: BatchBuffer,
  ) {
    this.vars = model.trainableVariables();
  }

  async step(rows: number, epoch: number, rng: Rng): Promise<tf.Tensor> {
    const batch = this.batch.tensors(0, rows);
    let values: tf.Tensor | undefined;
    try {
      this.optimizer.minimize(
        () => {
          const out = this.model.forward(batch, { training: true, epoch, rng });
          const reported = reportedScalars(out);
          this.names = Object.keys(reported);
          values = tf.keep(tf.stack([out.loss, ...this.names.map((n) => reported[n])]));
          return out.loss;
        },
        false,
        this.vars,
      );
    } finally {
      disposeBatch(batch);
    }
    return values!;
  }

  async close(): Promise<void> {}
}

/** The engine of every platform without threads of its own: this thread only. */
export const localEngine: EngineFactory = async ({ model, optimizer, batchSize, dim }) => new LocalEngine(model, optimizer, new BatchBuffer(batchSize, dim));
