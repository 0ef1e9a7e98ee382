/**
 * Custom tfjs-layers layers. Each carries an Args interface, a `className`,
 * `getConfig`, and is registered so that saved models reload.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';

export interface PixelLogVarianceArgs extends LayerArgs {
  /** Number of output features (pixels). */
  units: number;
  /** Starting value of every log σ². */
  initialValue?: number;
}

/**
 * A learned log σ² per output feature, independent of the input: it maps
 * [batch, anything] to [batch, units] by broadcasting one weight vector.
 * Gives a Gaussian decoder its per-pixel variance.
 */
export class PixelLogVariance extends tfl.layers.Layer {
  static className = 'PixelLogVariance';
  readonly units: number;
  readonly initialValue: number;
  private logVar?: tfl.LayerVariable;

  constructor(args: PixelLogVarianceArgs) {
    super(args);
    this.units = args.units;
    this.initialValue = args.initialValue ?? 0;
  }

  override build(): void {
    this.logVar = this.addWeight('log_var', [this.units], 'float32', tfl.initializers.constant({ value: this.initialValue }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [shape[0], this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const input = Array.isArray(inputs) ? inputs[0] : inputs;
      const batch = input.shape[0];
      return tf.mul(tf.ones([batch, 1]), tf.reshape(this.logVar!.read(), [1, this.units]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, initialValue: this.initialValue };
  }
}
tf.serialization.registerClass(PixelLogVariance);
