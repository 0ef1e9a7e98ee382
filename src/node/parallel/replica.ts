/**
 * One participant's part of a data-parallel step, the same code in the main
 * thread and in every worker: gradients of its shard's mean loss into its
 * slot, a barrier, then the weighted average of all slots and the same Adam
 * update in every replica, so replicas stay identical.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readInto } from '../../core/backend/wasm/read.js';
import { BatchBuffer, disposeBatch } from '../../core/data/batches.js';
import type { Autoencoder } from '../../core/models/types.js';
import { Rng } from '../../core/random.js';
import { reportedScalars } from '../../core/train/engine.js';
import type { FusedAdamOptimizer } from '../../core/train/optimizers/adam.js';
import { MAX_TERMS, shardRange, shardSeed, StepField, type SharedViews } from './shared.js';

export class Replica {
  private readonly vars: tf.Variable[];
  private readonly offsets: number[];
  private readonly batch: BatchBuffer;
  /** Term names in the order of the metrics slot (after the loss), known after the first step. */
  names: string[] = [];
  /** Rows of the current step, kept because the main thread rewrites the step fields once it has applied. */
  private rows = 0;

  constructor(
    readonly k: number,
    readonly model: Autoencoder,
    readonly optimizer: tf.Optimizer,
    readonly views: SharedViews,
  ) {
    this.vars = model.trainableVariables();
    this.offsets = [];
    let offset = 0;
    for (const v of this.vars) {
      this.offsets.push(offset);
      offset += v.size;
    }
    if (offset !== views.sizes.params) throw new Error(`replica ${k}: ${offset} parameters, expected ${views.sizes.params}`);
    this.batch = new BatchBuffer(views.sizes.batchSize, views.sizes.dim, { x: views.x, labels: views.labels });
  }

  /** Gradient of this shard's mean loss into this participant's slot; loss and terms into its metrics slot. */
  computeShard(): void {
    const { step } = this.views;
    const rows = step[StepField.Rows];
    this.rows = rows;
    const [lo, hi] = shardRange(rows, this.k, this.views.sizes.participants);
    if (hi === lo) return;
    const batch = this.batch.tensors(lo, hi);
    const rng = new Rng(shardSeed(step[StepField.Seed], this.k));
    const ctx = { training: true, epoch: step[StepField.Epoch], rng };
    let stacked: tf.Tensor | undefined;
    try {
      const { value, grads } = tf.variableGrads(() => {
        const out = this.model.forward(batch, ctx);
        const reported = reportedScalars(out);
        this.names = Object.keys(reported);
        if (this.names.length > MAX_TERMS) throw new Error(`parallel training supports at most ${MAX_TERMS} loss terms`);
        stacked = tf.keep(tf.stack([out.loss, ...this.names.map((n) => reported[n])]));
        return out.loss;
      }, this.vars);
      const slot = this.views.grads[this.k];
      this.vars.forEach((v, i) => {
        readInto(grads[v.name], slot, this.offsets[i]);
      });
      tf.dispose(grads);
      value.dispose();
      // The gradient reads above already waited for the forward pass; this read is free.
      this.views.metrics[this.k].set(stacked!.dataSync() as Float32Array);
    } finally {
      stacked?.dispose();
      disposeBatch(batch);
    }
  }

  /** The participants that computed this step, each with its shard's share of the batch. */
  private shares(): { k: number; weight: number }[] {
    const n = this.views.sizes.participants;
    const shares: { k: number; weight: number }[] = [];
    for (let k = 0; k < n; k++) {
      const [a, b] = shardRange(this.rows, k, n);
      // An empty shard computed nothing; its slot may hold an older step.
      if (b > a) shares.push({ k, weight: (b - a) / this.rows });
    }
    return shares;
  }

  /**
   * The gradient of the full batch's mean loss: each slot weighted by its
   * shard's share of the batch, summed in participant order on this
   * replica's backend (identical inputs and ops give identical bits everywhere).
   */
  meanGradients(): { name: string; tensor: tf.Tensor }[] {
    const shares = this.shares();
    return this.vars.map((v, i) => {
      const at = this.offsets[i];
      const tensor = tf.tidy(() => {
        const parts = shares.map(({ k, weight }) => {
          const g = tf.tensor(this.views.grads[k].subarray(at, at + v.size), v.shape);
          return shares.length === 1 ? g : tf.mul(g, weight);
        });
        return parts.reduce((sum, p) => tf.add(sum, p));
      });
      return { name: v.name, tensor };
    });
  }

  /**
   * Apply the averaged gradient with this replica's optimizer (same order as
   * trainableVariables). latentkit's Adam takes the shards' gradients as
   * weighted parts and sums two of them inside its update kernel.
   */
  apply(): void {
    // (Not instanceof: tf.Optimizer's Symbol.hasInstance makes every optimizer pass it.)
    const fused = this.optimizer as Partial<Pick<FusedAdamOptimizer, 'applyGradientShares'>>;
    if (typeof fused.applyGradientShares !== 'function') {
      const named = this.meanGradients();
      try {
        this.optimizer.applyGradients(named);
      } finally {
        for (const n of named) n.tensor.dispose();
      }
      return;
    }
    const shares = this.shares();
    const uploaded = this.vars.map((v, i) => ({
      name: v.name,
      parts: shares.map(({ k, weight }) => ({ tensor: tf.tensor(this.views.grads[k].subarray(this.offsets[i], this.offsets[i] + v.size), v.shape), weight })),
    }));
    try {
      fused.applyGradientShares.call(this.optimizer, uploaded);
    } finally {
      for (const u of uploaded) tf.dispose(u.parts.map((p) => p.tensor));
    }
  }
}
