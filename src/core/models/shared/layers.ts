/**
 * Custom tfjs-layers layers. Each carries an Args interface, a `className`,
 * `getConfig`, and is registered so that saved models reload.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import { dense, hasDenseKernel } from '../../backend/kernels/Dense.js';
import { convBias, hasConvBiasKernel } from '../../backend/kernels/ConvBias.js';
import { hasReluKernel, relu } from '../../backend/kernels/Relu.js';
import { batchNormTrain, hasBatchNormKernel } from '../../backend/kernels/BatchNorm.js';

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

/** A tfjs-layers factory's layer class, as registered for deserialization under `className` (the classes are not exported by name). */
type StockClass<F extends (args: never) => unknown> = new (args: Parameters<F>[0]) => ReturnType<F>;
function stockClass<F extends (args: never) => unknown>(className: string, _factory: F): StockClass<F> {
  return tf.serialization.SerializationMap.getMap().classNameMap[className]![0] as unknown as StockClass<F>;
}

/** tfjs-layers' Dense class (not exported by name), as registered for deserialization. */
const StockDense = stockClass('Dense', tfl.layers.dense);

/** The Dense fields TypeScript declares private; present at runtime. */
interface DenseInternals {
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  activation: { apply(x: tf.Tensor): tf.Tensor };
}

/** True inside tf.grad / optimizer.minimize: operations are being recorded for backpropagation. */
export function recordingGradients(): boolean {
  return (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
}

/**
 * tfjs-layers' Dense with the same weights, config and saved form (its class
 * name is 'Dense', so saved networks load anywhere TensorFlow.js runs), but a
 * cheaper backward pass.
 *
 * Dense computes y = act(x·W + b) with tf.fused.matMul, whose gradient is a
 * custom gradient that always returns ∂L/∂x, ∂L/∂W and ∂L/∂b. For the first
 * layer of a network x is the data, and ∂L/∂x (a [batch, out]·[out, in]
 * product as large as the forward one) is computed and thrown away. While
 * gradients are being recorded this layer uses latentkit's Dense kernel
 * (backend/kernels/Dense.ts: the backend's fused product with a registered
 * gradient, evaluated only for inputs on the path to the variables), or
 * matMul and add where a backend lacks it. Outside training (encode, decode,
 * IWAE) it is Dense itself: one fused matmul + bias + activation kernel.
 */
export class FastDense extends StockDense {
  static className = 'Dense';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!recordingGradients() || input.rank !== 2) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const { kernel, bias, activation } = this as unknown as DenseInternals;
      if (bias && hasDenseKernel()) return activation.apply(dense(input as tf.Tensor2D, kernel.read() as tf.Tensor2D, bias.read() as tf.Tensor1D));
      const linear = tf.matMul(input, kernel.read());
      return activation.apply(bias ? tf.add(linear, bias.read()) : linear);
    });
  }
}
// Deserialize every 'Dense' as FastDense, so networks reloaded for --resume train just as fast.
tf.serialization.SerializationMap.register(FastDense as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** tfjs-layers' Conv2D class, as registered for deserialization. */
const StockConv2D = stockClass('Conv2D', tfl.layers.conv2d);

/** The Conv2D fields TypeScript declares protected; present at runtime. */
interface Conv2DInternals extends DenseInternals {
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
}

/**
 * tfjs-layers' Conv2D with the same config and saved form (class name
 * 'Conv2D'), which while gradients are recorded runs latentkit's conv-with-
 * bias kernel: its gradient computes ∂L/∂x only when the tape needs it (not
 * for a network's first convolution, whose ∂L/∂x tf.fused.conv2d's custom
 * gradient always computed). NHWC with a bias and no dilation; anything
 * else, and inference, take Conv2D's own path.
 */
export class FastConv2D extends StockConv2D {
  static className = 'Conv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const { kernel, bias, activation, strides, padding, dataFormat, dilationRate } = this as unknown as Conv2DInternals;
    const plain = [dilationRate].flat().every((d) => d === 1) && dataFormat === 'channelsLast' && (padding === 'same' || padding === 'valid');
    if (!recordingGradients() || input.rank !== 4 || bias == null || !plain || !hasConvBiasKernel()) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const y = convBias(input as tf.Tensor4D, kernel.read() as tf.Tensor4D, bias.read() as tf.Tensor1D, { strides: [strides[0]!, strides[1]!], pad: padding as 'same' | 'valid' });
      return activation.apply(y);
    });
  }
}
// Deserialize every 'Conv2D' as FastConv2D, so networks reloaded for --resume train just as fast.
tf.serialization.SerializationMap.register(FastConv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** tfjs-layers' Activation class, as registered for deserialization. */
const StockActivation = stockClass('Activation', tfl.layers.activation);

/**
 * tfjs-layers' Activation with the same config and saved form (class name
 * 'Activation'), whose ReLU while gradients are recorded is latentkit's: its
 * gradient is one kernel instead of TensorFlow.js's step, cast and multiply.
 * Other activations, other dtypes and inference take Activation's own path.
 */
export class FastActivation extends StockActivation {
  static className = 'Activation';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const activation = (this as unknown as { activation: { getClassName(): string } }).activation;
    if (!recordingGradients() || input.dtype !== 'float32' || activation.getClassName() !== 'relu' || !hasReluKernel()) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      return relu(input);
    });
  }
}
// Deserialize every 'Activation' as FastActivation, so networks reloaded for --resume train just as fast.
tf.serialization.SerializationMap.register(FastActivation as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** tfjs-layers' Dropout class (not exported by name), as registered for deserialization. */
const StockDropout = stockClass('Dropout', tfl.layers.dropout);

/** A 32-bit hash of a layer name (FNV-1a), so every dropout layer draws its own mask from one step seed. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * tfjs-layers' Dropout with the same config and saved form (class name
 * 'Dropout'), whose mask is drawn from the `seed` keyword argument of each
 * call (combined with the layer's name) rather than from the layer's one
 * fixed seed, which would drop the same units at every step, or from
 * Math.random, which would make runs unrepeatable. Drops only when called
 * with `training: true`; inference is the identity, as in Dropout.
 */
export class SeededDropout extends StockDropout {
  static className = 'Dropout';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const seed = kwargs.seed;
    if (kwargs.training !== true || typeof seed !== 'number') return super.call(inputs, kwargs);
    const rate = (this as unknown as { rate: number }).rate;
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const input = Array.isArray(inputs) ? inputs[0]! : inputs;
      return rate > 0 && rate < 1 ? tf.dropout(input, rate, undefined, (seed ^ nameHash(this.name)) >>> 0) : input;
    });
  }
}
// Deserialize every 'Dropout' as SeededDropout, so reloaded networks (--resume) draw their masks the same way.
tf.serialization.SerializationMap.register(SeededDropout as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** tfjs-layers' BatchNormalization class, as registered for deserialization. */
const StockBatchNormalization = stockClass('BatchNormalization', tfl.layers.batchNormalization);

/** The BatchNormalization fields TypeScript declares private; present at runtime. */
interface BatchNormInternals {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

/**
 * tfjs-layers' BatchNormalization with the same weights, config and saved
 * form (class name 'BatchNormalization'), whose training step runs
 * latentkit's batch-norm kernels (backend/kernels/BatchNorm.ts: statistics,
 * normalisation and gradient in a few passes over the map): tfjs-core's
 * gradient of batchNorm and moments is several times slower than the
 * convolution before it, which made `--batch-norm` double the cost of a step.
 * Inference, any configuration but channels-last with both γ and β, and
 * backends without the kernels (webgl, tensorflow) are BatchNormalization
 * itself; the moving averages update as it updates them.
 */
export class FastBatchNormalization extends StockBatchNormalization {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const self = this as unknown as BatchNormInternals;
    const lastAxis = self.axis === -1 || self.axis === input.rank - 1;
    if (kwargs.training !== true || !lastAxis || !self.center || !self.scale || !hasBatchNormKernel()) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const channels = input.shape[input.rank - 1]!;
      // [..., c] → [m, c]: every position of every example is a row of its channel's statistics.
      const rows = tf.reshape(input, [-1, channels]) as tf.Tensor2D;
      const y = batchNormTrain(rows, self.gamma.read() as tf.Tensor1D, self.beta.read() as tf.Tensor1D, self.epsilon, (mean, variance) => updateMovingAverages(self, mean, variance));
      return tf.reshape(y, input.shape);
    });
  }
}

/** moving ← moving − (moving − batch)·(1 − momentum), as BatchNormalization does (population variance). */
function updateMovingAverages(self: BatchNormInternals, mean: tf.Tensor1D, variance: tf.Tensor1D): void {
  tf.tidy(() => {
    for (const [variable, value] of [
      [self.movingMean, mean],
      [self.movingVariance, variance],
    ] as const) {
      const old = variable.read();
      variable.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - self.momentum)));
    }
  });
}
// Deserialize every 'BatchNormalization' as FastBatchNormalization, so reloaded networks (--resume) train just as fast.
tf.serialization.SerializationMap.register(FastBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
