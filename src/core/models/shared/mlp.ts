/**
 * Fully connected building blocks (tfjs-layers, so networks save and reload
 * in the TensorFlow.js format and load in a browser with TensorFlow.js alone).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../../random.js';
import type { Activation } from '../types.js';
import { FastActivation, FastDense } from './layers.js';

type Symbolic = tfl.SymbolicTensor;

/**
 * PyTorch's nn.Linear initialisation: weights and biases ~ U(−1/√fan_in, 1/√fan_in).
 * The reference numbers we compare against come from PyTorch, so we start where it starts.
 */
export function torchDense(units: number, fanIn: number, name: string, rng: Rng): tfl.layers.Layer {
  const limit = 1 / Math.sqrt(fanIn);
  // FastDense: tfjs-layers' Dense (same saved form) without the wasted input gradient.
  return new FastDense({
    units,
    name,
    kernelInitializer: tfl.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: rng.seed() }),
    biasInitializer: tfl.initializers.randomUniform({ minval: -limit, maxval: limit, seed: rng.seed() }),
  });
}

/** Apply an activation by name; `leaky-relu` uses slope 0.2 as in the reference network. */
export function applyActivation(x: Symbolic, activation: Activation, name: string): Symbolic {
  if (activation === 'linear') return x;
  if (activation === 'leaky-relu') return tfl.layers.leakyReLU({ alpha: 0.2, name }).apply(x) as Symbolic;
  return new FastActivation({ activation, name }).apply(x) as Symbolic;
}

/** Dense layers with activations: input → hidden[0] → ... → hidden[n-1]. */
export function denseStack(input: Symbolic, hidden: readonly number[], activation: Activation, prefix: string, rng: Rng): Symbolic {
  let h = input;
  hidden.forEach((units, i) => {
    const fanIn = h.shape[h.shape.length - 1] as number;
    h = torchDense(units, fanIn, `${prefix}_dense${i + 1}`, rng).apply(h) as Symbolic;
    h = applyActivation(h, activation, `${prefix}_act${i + 1}`);
  });
  return h;
}

/** Concatenate extra inputs (e.g. a one-hot label) onto the main one when present. */
export function withConditions(main: Symbolic, conditions: Symbolic[], name: string): Symbolic {
  if (conditions.length === 0) return main;
  return tfl.layers.concatenate({ name, axis: -1 }).apply([main, ...conditions]) as Symbolic;
}

export function denseHead(input: Symbolic, units: number, name: string, rng: Rng): Symbolic {
  const fanIn = input.shape[input.shape.length - 1] as number;
  return torchDense(units, fanIn, name, rng).apply(input) as Symbolic;
}
