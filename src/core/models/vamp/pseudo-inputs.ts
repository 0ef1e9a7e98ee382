/**
 * The VampPrior's K pseudo-inputs as a network of one custom layer, so they
 * are saved and reloaded with the run like the encoder and decoder
 * (model/pseudo_inputs/ in the TensorFlow.js layers format).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import type { Rng } from '../../random.js';
import type { PseudoInputActivation, VampConfig } from './config.js';

/**
 * Raw weights start at N(−0.05, 0.01²), the authors' code's default: through
 * the sigmoid every pseudo-input starts as a near-uniform grey image (≈ 0.49),
 * and real-valued data starts near its standardized mean 0. Tiny spread, so
 * the K components start almost equal and separate as they learn.
 */
export const PSEUDO_INPUT_INIT = { mean: -0.05, stddev: 0.01 } as const;

export interface PseudoInputsArgs extends LayerArgs {
  /** K. */
  count: number;
  /** h·w·c. */
  features: number;
  activation: PseudoInputActivation;
  /** Seed of the initial weights. */
  seed?: number;
}

/**
 * Outputs its [count, features] weight matrix through the activation,
 * whatever its input: the pseudo-inputs u_k = act(w_k) in data space.
 */
export class PseudoInputs extends tfl.layers.Layer {
  static className = 'PseudoInputs';
  readonly count: number;
  readonly features: number;
  readonly activation: PseudoInputActivation;
  private readonly seed?: number;
  private raw?: tfl.LayerVariable;

  constructor(args: PseudoInputsArgs) {
    super(args);
    this.count = args.count;
    this.features = args.features;
    this.activation = args.activation;
    this.seed = args.seed;
  }

  override build(): void {
    const initializer = tfl.initializers.randomNormal({ ...PSEUDO_INPUT_INIT, seed: this.seed });
    this.raw = this.addWeight('raw', [this.count, this.features], 'float32', initializer);
    this.built = true;
  }

  /** Set the pseudo-inputs to `u` [count, features] in data space (inside (0, 1) for the sigmoid, which is inverted here). */
  setPseudoInputs(u: tf.Tensor2D): void {
    tf.tidy(() => {
      // logit(u); pixels of exactly 0 or 1 would need an infinite weight, so they start at 0.01 or 0.99.
      const clipped = tf.clipByValue(u, 0.01, 0.99);
      this.raw!.write(this.activation === 'sigmoid' ? tf.sub(tf.log(clipped), tf.log1p(tf.neg(clipped))) : tf.clone(u));
    });
  }

  override computeOutputShape(): tfl.Shape {
    return [this.count, this.features];
  }

  override call(): tf.Tensor {
    return tf.tidy(() => {
      const w = this.raw!.read();
      return this.activation === 'sigmoid' ? tf.sigmoid(w) : tf.clone(w);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    // The seed only chose the initial weights; the saved weights replace them.
    return { ...super.getConfig(), count: this.count, features: this.features, activation: this.activation };
  }
}
tf.serialization.registerClass(PseudoInputs);

export const PSEUDO_INPUTS_LAYER = 'pseudo_inputs';

/** The pseudo-inputs network: a dummy [1]-wide input (ignored) → [K, h·w·c]. */
export function buildPseudoInputs(config: VampConfig, rng: Rng): tfl.LayersModel {
  const [h, w, c] = config.inputShape;
  const input = tfl.input({ shape: [1], name: 'pseudo_inputs_idle' });
  const layer = new PseudoInputs({ count: config.pseudoInputs, features: h * w * c, activation: config.pseudoInputActivation, seed: rng.seed(), name: PSEUDO_INPUTS_LAYER });
  return tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor, name: 'pseudo_inputs' });
}

/** Set u_k (data space, [K, h·w·c]) of the pseudo-inputs network. */
export function setPseudoInputs(network: tfl.LayersModel, u: tf.Tensor2D): void {
  (network.getLayer(PSEUDO_INPUTS_LAYER) as PseudoInputs).setPseudoInputs(u);
}

/** u_k in data space, [K, h·w·c]; differentiable in the raw weights. */
export function pseudoInputsOf(network: tfl.LayersModel): tf.Tensor2D {
  return tf.tidy(() => network.apply(tf.zeros([1, 1])) as tf.Tensor2D);
}
