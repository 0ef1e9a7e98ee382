/**
 * The autoregressive prior over a VQ-VAE's G code indices,
 *   p(i) = p(i_1) p(i_2 | i_1) ··· p(i_G | i_<G),
 * as one masked network (MADE, Germain et al. 2015): the one-hots of the G
 * indices [G·K] pass through one ReLU hidden layer whose masks let group g's
 * K logits see only the groups before it. One pass scores every factor;
 * sampling takes G passes, one group at a time.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import { Rng } from '../../random.js';
import { oneHotRows, searchCdf } from './quantizer.js';

/** Hidden units of the prior network. */
export const PRIOR_HIDDEN = 256;

/** Name of the masked layer inside the `prior` network. */
export const PRIOR_LAYER = 'index_prior';

/**
 * MADE degrees for the natural order of the groups: input unit (g, k) has
 * degree g + 1, hidden unit h degree 1 + (h mod (G − 1)), so every degree
 * 1..G−1 is represented. A hidden unit sees inputs of degree ≤ its own; an
 * output of group g (degree g + 1) sees hidden units of degree < g + 1.
 * Group 1 sees no hidden unit: its logits are its bias, the marginal p(i_1).
 * Returns the 0/1 masks [G·K, H] and [H, G·K], row-major.
 */
export function madeMasks(groups: number, codebookSize: number, hidden: number): { input: Float32Array; output: Float32Array } {
  const width = groups * codebookSize;
  const hiddenDegree = (h: number) => 1 + (h % Math.max(1, groups - 1));
  const groupDegree = (unit: number) => Math.floor(unit / codebookSize) + 1;
  const input = new Float32Array(width * hidden);
  const output = new Float32Array(hidden * width);
  for (let unit = 0; unit < width; unit++) {
    for (let h = 0; h < hidden; h++) {
      input[unit * hidden + h] = hiddenDegree(h) >= groupDegree(unit) ? 1 : 0;
      output[h * width + unit] = groupDegree(unit) > hiddenDegree(h) ? 1 : 0;
    }
  }
  return { input, output };
}

export interface MadePriorArgs extends LayerArgs {
  groups: number;
  codebookSize: number;
  hidden: number;
  /** Seed of the initial weights (not saved: reloading reads the weights). */
  seed?: number;
}

/** One-hots of the indices [n·G·K] → logits [n, G·K], group g's K logits depending only on groups < g. */
export class MadePrior extends tfl.layers.Layer {
  static className = 'MadePrior';
  readonly groups: number;
  readonly codebookSize: number;
  readonly hidden: number;
  private readonly seed?: number;
  private readonly masks: { input: Float32Array; output: Float32Array };
  private weightsOf?: { kernel1: tfl.LayerVariable; bias1: tfl.LayerVariable; kernel2: tfl.LayerVariable; bias2: tfl.LayerVariable };

  constructor(args: MadePriorArgs) {
    super(args);
    this.groups = args.groups;
    this.codebookSize = args.codebookSize;
    this.hidden = args.hidden;
    this.seed = args.seed;
    this.masks = madeMasks(args.groups, args.codebookSize, args.hidden);
  }

  override build(): void {
    const width = this.groups * this.codebookSize;
    const seed = this.seed ?? 0;
    const zeros = tfl.initializers.zeros();
    this.weightsOf = {
      kernel1: this.addWeight('kernel1', [width, this.hidden], 'float32', tfl.initializers.glorotUniform({ seed })),
      bias1: this.addWeight('bias1', [this.hidden], 'float32', zeros),
      kernel2: this.addWeight('kernel2', [this.hidden, width], 'float32', tfl.initializers.glorotUniform({ seed: seed + 1 })),
      bias2: this.addWeight('bias2', [width], 'float32', zeros),
    };
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D; // [n, G·K]
      const { kernel1, bias1, kernel2, bias2 } = this.weightsOf!;
      const width = this.groups * this.codebookSize;
      // The masks are rebuilt inside the tidy rather than held, so the layer owns no tensor outside its weights.
      const w1 = tf.mul(kernel1.read(), tf.tensor2d(this.masks.input, [width, this.hidden]));
      const w2 = tf.mul(kernel2.read(), tf.tensor2d(this.masks.output, [this.hidden, width]));
      const h = tf.relu(tf.add(tf.matMul(x, w1), bias1.read()));
      return tf.add(tf.matMul(h, w2), bias2.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups, codebookSize: this.codebookSize, hidden: this.hidden };
  }
}
tf.serialization.registerClass(MadePrior);

/** The `prior` network: one-hots [G·K] → logits [G·K]. */
export function buildIndexPrior(groups: number, codebookSize: number, seed: number, hidden = PRIOR_HIDDEN): tfl.LayersModel {
  const input = tfl.input({ shape: [groups * codebookSize], name: 'index_one_hots' });
  const layer = new MadePrior({ groups, codebookSize, hidden, seed, name: PRIOR_LAYER });
  return tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor, name: 'prior' });
}

function shapeOf(prior: tfl.LayersModel): { groups: number; codebookSize: number } {
  const layer = prior.getLayer(PRIOR_LAYER) as MadePrior;
  return { groups: layer.groups, codebookSize: layer.codebookSize };
}

/** Logits [n, G, K] of every factor p(i_g | i_<g) at indices [n, G] (int32). */
function factorLogits(prior: tfl.LayersModel, indices: tf.Tensor2D): tf.Tensor3D {
  const { groups, codebookSize } = shapeOf(prior);
  const n = indices.shape[0];
  const oneHots = tf.reshape(oneHotRows(tf.reshape(indices, [-1]) as tf.Tensor1D, codebookSize), [n, groups * codebookSize]); // [n·G, K] → [n, G·K]
  return tf.reshape(prior.apply(oneHots) as tf.Tensor, [n, groups, codebookSize]) as tf.Tensor3D;
}

/** log p(i) = Σ_g log p(i_g | i_<g) for indices [n, G] (int32): [n] nats. */
export function autoregressiveLogProb(prior: tfl.LayersModel, indices: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const { codebookSize } = shapeOf(prior);
    const logProbs = tf.logSoftmax(factorLogits(prior, indices)); // [n, G, K]
    const chosen = tf.cast(tf.oneHot(indices, codebookSize), 'float32'); // [n, G, K]
    return tf.sum(tf.mul(logProbs, chosen), [1, 2]) as tf.Tensor1D;
  });
}

/**
 * n draws of the G indices, group after group, each from
 * softmax(logits / T) given the groups drawn before: Int32Array [n, G],
 * row-major. The choices are made in plain JavaScript from one seeded
 * stream, like the independent prior's.
 */
export function drawAutoregressive(prior: tfl.LayersModel, n: number, seed: number, temperature: number): Int32Array {
  const { groups, codebookSize: K } = shapeOf(prior);
  const rng = new Rng(seed);
  // Groups not drawn yet hold 0; the masks keep them from reaching the group being drawn.
  const out = new Int32Array(n * groups);
  const cdf = new Float64Array(K);
  for (let g = 0; g < groups; g++) {
    const probs = tf.tidy(() => {
      const logits = tf.slice(factorLogits(prior, tf.tensor2d(out, [n, groups], 'int32')), [0, g, 0], [n, 1, K]);
      return tf.softmax(tf.div(tf.reshape(logits, [n, K]), temperature)).dataSync() as Float32Array;
    });
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let k = 0; k < K; k++) cdf[k] = acc += probs[i * K + k]!;
      out[i * groups + g] = searchCdf(cdf, rng.next() * acc);
    }
  }
  return out;
}
