/**
 * The shared memory of data-parallel training: one SharedArrayBuffer per
 * region, seen through typed arrays by the main thread and every worker.
 *
 *   control   Int32   barrier count, barrier generation, abort flag
 *   step      Float64 command, rows in this batch, epoch (fractional), step seed
 *   x/labels  the whole batch, written by the main thread each step
 *   grads     one gradient slot per participant (all parameters, flattened)
 *   metrics   per participant: its shard's mean loss and terms
 */
export const enum Control {
  Count = 0,
  Generation = 1,
  Abort = 2,
}

export const enum StepField {
  Command = 0,
  Rows = 1,
  Epoch = 2,
  Seed = 3,
}

export const enum Command {
  Step = 1,
  Stop = 2,
}

/** Room for the loss plus this many named terms per participant. */
export const MAX_TERMS = 15;

export interface SharedSizes {
  participants: number;
  batchSize: number;
  dim: number;
  /** Number of trainable parameters (all variables flattened, in order). */
  params: number;
}

export interface SharedBuffers {
  sizes: SharedSizes;
  control: SharedArrayBuffer;
  step: SharedArrayBuffer;
  x: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  metrics: SharedArrayBuffer;
}

export interface SharedViews {
  sizes: SharedSizes;
  control: Int32Array;
  step: Float64Array;
  x: Float32Array;
  labels: Int32Array;
  /** grads[k]: participant k's gradient of its shard's mean loss. */
  grads: Float32Array[];
  /** metrics[k]: [loss, ...terms] of participant k's shard. */
  metrics: Float32Array[];
}

export function allocateShared(sizes: SharedSizes): SharedBuffers {
  const f32 = (n: number) => new SharedArrayBuffer(4 * n);
  return {
    sizes,
    control: new SharedArrayBuffer(4 * 4),
    step: new SharedArrayBuffer(8 * 4),
    x: f32(sizes.batchSize * sizes.dim),
    labels: new SharedArrayBuffer(4 * sizes.batchSize),
    grads: f32(sizes.participants * sizes.params),
    metrics: f32(sizes.participants * (1 + MAX_TERMS)),
  };
}

export function viewShared(b: SharedBuffers): SharedViews {
  const { participants, params } = b.sizes;
  const slots = Array.from({ length: participants }, (_, k) => k);
  return {
    sizes: b.sizes,
    control: new Int32Array(b.control),
    step: new Float64Array(b.step),
    x: new Float32Array(b.x),
    labels: new Int32Array(b.labels),
    grads: slots.map((k) => new Float32Array(b.grads, 4 * k * params, params)),
    metrics: slots.map((k) => new Float32Array(b.metrics, 4 * k * (1 + MAX_TERMS), 1 + MAX_TERMS)),
  };
}

/** Rows [lo, hi) of a `rows`-row batch that participant k of n handles (sizes differ by at most one). */
export function shardRange(rows: number, k: number, n: number): [number, number] {
  const base = Math.floor(rows / n);
  const extra = rows % n;
  const lo = k * base + Math.min(k, extra);
  return [lo, lo + base + (k < extra ? 1 : 0)];
}

export { shardSeed, stepSeed } from '../../core/train/seeds.js';
