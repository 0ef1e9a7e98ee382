/**
 * Checkpoints for resuming: the networks, the optimizer's moments and the
 * trainer's own state, written as one folder that replaces the previous one
 * at once, so a kill at any moment leaves the last complete epoch intact.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UsageError } from '../errors.js';
import type { Autoencoder } from '../models/types.js';
import type { NamedTensor } from '../train/engine.js';
import type { EpochMetrics, TrainerState } from '../train/trainer.js';
import type { RunConfig } from './config.js';
import { modelFiles, restoreModel, RUN_FILES } from './run.js';
import { bytesText, textBytes, type RunStore } from './store.js';

interface OptimizerSpec {
  name: string;
  shape: number[];
  /** The iteration count is int32; the moments are float32. */
  dtype: 'float32' | 'int32';
}

/** optimizer.bin (every weight's values, in order) and optimizer.json (their names, shapes, dtypes). */
async function optimizerFiles(optimizer: tf.Optimizer): Promise<[string, Uint8Array][]> {
  const weights = await optimizer.getWeights();
  const specs: OptimizerSpec[] = weights.map((w) => ({ name: w.name, shape: w.tensor.shape, dtype: w.tensor.dtype === 'int32' ? 'int32' : 'float32' }));
  const arrays = weights.map((w) => w.tensor.dataSync() as Float32Array | Int32Array);
  const bytes = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
  let offset = 0;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  // getWeights creates a fresh tensor for the iteration count; the moments are the optimizer's own.
  weights[0]?.tensor.dispose();
  return [
    ['optimizer.bin', bytes],
    ['optimizer.json', textBytes(JSON.stringify(specs))],
  ];
}

/**
 * Write the checkpoint. `metrics` is the row of the epoch it ends: the line
 * appended to metrics.jsonl right after may be lost to a kill, and resuming
 * puts it back from here.
 */
export async function saveCheckpoint(store: RunStore, model: Autoencoder, optimizer: tf.Optimizer, state: TrainerState, metrics?: EpochMetrics): Promise<void> {
  const files = await modelFiles(model);
  for (const [name, bytes] of await optimizerFiles(optimizer)) files.set(name, bytes);
  files.set('state.json', textBytes(JSON.stringify(metrics ? { ...state, metrics } : state)));
  await store.replaceFolder(RUN_FILES.checkpoint, files);
}

/** The weights array `optimizer.setWeights` expects. */
function readOptimizer(specsText: string, bytes: Uint8Array): NamedTensor[] {
  const specs = JSON.parse(specsText) as OptimizerSpec[];
  if (!Array.isArray(specs)) throw new Error('optimizer.json is not a list');
  // Every entry is checked before the first tensor is made, so a bad one leaves none behind.
  const valid = (s: OptimizerSpec) => typeof s === 'object' && s !== null && typeof s.name === 'string' && (s.dtype === 'float32' || s.dtype === 'int32') && Array.isArray(s.shape) && s.shape.every((d) => Number.isInteger(d) && d >= 0);
  if (!specs.every(valid)) throw new Error('optimizer.json has an entry with a malformed name, shape or dtype');
  const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== total * 4) throw new Error(`optimizer.bin is ${bytes.byteLength} bytes, expected ${total * 4}`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  let offset = 0;
  return specs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    // Both dtypes are 4 bytes per value.
    const values = spec.dtype === 'int32' ? new Int32Array(buffer, offset * 4, size) : new Float32Array(buffer, offset * 4, size);
    offset += size;
    return { name: spec.name, tensor: tf.tensor(values, spec.shape, spec.dtype) };
  });
}

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** state.json as the trainer wrote it; a torn or edited one would resume from the wrong place. */
function parseState(text: string): TrainerState & { metrics?: EpochMetrics } {
  const state = JSON.parse(text) as TrainerState & { metrics?: EpochMetrics };
  if (!isCount(state.epochsCompleted)) throw new Error('state.json has no epoch count');
  if (!isFiniteNumber(state.rngState)) throw new Error('state.json has no random state');
  if (state.metrics !== undefined && state.metrics?.epoch !== state.epochsCompleted) throw new Error('state.json holds the metrics of another epoch');
  const p = state.partial;
  if (p === undefined) return state;
  const termsOk = typeof p.totals?.terms === 'object' && p.totals.terms !== null && Object.values(p.totals.terms).every(isFiniteNumber);
  if (!isCount(p.steps) || !isFiniteNumber(p.rngState) || !isFiniteNumber(p.seconds) || !isFiniteNumber(p.totals?.loss) || !isCount(p.totals?.examples) || !termsOk) {
    throw new Error('state.json has an invalid partial epoch');
  }
  return state;
}

export interface LoadedCheckpoint {
  model: Autoencoder;
  optimizerWeights: NamedTensor[];
  state: TrainerState;
  /** The metrics row of the epoch the checkpoint ends (absent at epoch 0 and in older runs). */
  metrics?: EpochMetrics;
}

/** Whether the run has a checkpoint to resume from. */
export async function hasCheckpoint(store: RunStore): Promise<boolean> {
  return (await store.read(`${RUN_FILES.checkpoint}/state.json`)) !== undefined;
}

export async function loadCheckpoint(store: RunStore, config: RunConfig): Promise<LoadedCheckpoint> {
  const where = `${store.name}/${RUN_FILES.checkpoint}`;
  const read = (name: string) => store.read(`${RUN_FILES.checkpoint}/${name}`);
  const stateBytes = await read('state.json');
  if (!stateBytes) throw new UsageError(`${store.name} has no checkpoint to resume from (no epoch completed yet?)`);
  let model: Autoencoder | undefined;
  try {
    const { metrics, ...state } = parseState(bytesText(stateBytes));
    model = await restoreModel(config, store, RUN_FILES.checkpoint);
    const [specs, bytes] = [await read('optimizer.json'), await read('optimizer.bin')];
    if (!specs || !bytes) throw new Error('the optimizer state is missing');
    return { model, optimizerWeights: readOptimizer(bytesText(specs), bytes), state, ...(metrics ? { metrics } : {}) };
  } catch (err) {
    model?.dispose();
    if (err instanceof UsageError) throw err;
    throw new UsageError(`corrupt checkpoint in ${where}: ${(err as Error).message}`);
  }
}
