/** What the main thread sends a worker at start, and what a worker posts back. */
import type { CommonConfig } from '../../core/models/types.js';
import type { SharedBuffers } from './shared.js';

export interface WorkerInit {
  /** This worker's participant index (the main thread is 0). */
  k: number;
  backend: string;
  config: CommonConfig;
  lr: number;
  /** Every network's weights (getWeights order), then every trainable variable's value. */
  networkWeights: Record<string, Float32Array[]>;
  variables: Float32Array[];
  /** Adam state from a checkpoint (getWeights order), or none for a fresh optimizer. */
  optimizerWeights?: { name: string; values: Float32Array | Int32Array; shape: number[]; dtype: 'float32' | 'int32' }[];
  shared: SharedBuffers;
  /** Milliseconds a compute barrier may wait before failing. */
  timeoutMs: number;
  /** Test hook: fail inside this step (1-based) by throwing or by exiting the thread. */
  fault?: Fault;
}

export interface Fault {
  atStep: number;
  kind: 'throw' | 'exit';
}

export type WorkerMessage = { type: 'ready' } | { type: 'error'; message: string; unknownModel?: boolean } | { type: 'stopped' };
