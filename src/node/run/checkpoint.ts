/**
 * Checkpoints for --resume: the networks, the optimizer's moments and the
 * trainer's own state, written together as one directory that replaces the
 * previous one atomically, so a kill at any moment leaves the last complete
 * epoch intact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UsageError } from '../../core/errors.js';

/** One named optimizer weight, as `Optimizer.getWeights` returns it. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}
import { resolveDirectory, writeFileAtomic } from '../files/atomic.js';
import type { Autoencoder } from '../../core/models/types.js';
import { restoreModel, runPaths, saveNetworks, type RunConfig } from './run-folder.js';

export interface TrainerState {
  /** Epochs fully completed. */
  epochsCompleted: number;
  /** The trainer's Rng state after the last completed epoch. */
  rngState: number;
}

interface OptimizerSpec {
  name: string;
  shape: number[];
  /** The iteration count is int32; the moments are float32. */
  dtype: 'float32' | 'int32';
}

async function writeOptimizer(optimizer: tf.Optimizer, dir: string): Promise<void> {
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
  writeFileAtomic(path.join(dir, 'optimizer.bin'), bytes);
  writeFileAtomic(path.join(dir, 'optimizer.json'), JSON.stringify(specs));
}

export async function saveCheckpoint(runDir: string, model: Autoencoder, optimizer: tf.Optimizer, state: TrainerState): Promise<void> {
  await saveNetworks(model, runPaths(runDir).checkpoint, async (tmp) => {
    await writeOptimizer(optimizer, tmp);
    writeFileAtomic(path.join(tmp, 'state.json'), JSON.stringify(state));
  });
}

/** The weights array `optimizer.setWeights` expects, rebuilt from disk. */
function readOptimizer(dir: string): NamedTensor[] {
  const specs = JSON.parse(fs.readFileSync(path.join(dir, 'optimizer.json'), 'utf8')) as OptimizerSpec[];
  const bytes = fs.readFileSync(path.join(dir, 'optimizer.bin'));
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

export interface LoadedCheckpoint {
  model: Autoencoder;
  optimizerWeights: NamedTensor[];
  state: TrainerState;
}

export async function loadCheckpoint(runDir: string, config: RunConfig): Promise<LoadedCheckpoint> {
  const dir = resolveDirectory(runPaths(runDir).checkpoint);
  if (!dir) throw new UsageError(`${runDir} has no checkpoint to resume from (no epoch completed yet?)`);
  try {
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as TrainerState;
    const model = await restoreModel(config, dir);
    return { model, optimizerWeights: readOptimizer(dir), state };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`corrupt checkpoint in ${dir}: ${(err as Error).message}`);
  }
}
