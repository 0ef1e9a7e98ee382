/**
 * The `--arch conv` networks: a convolutional encoder and a mirrored decoder
 * of transposed convolutions, for image data.
 *
 *   encoder  x [b, h·w·c] → [b, h, w, c] → conv 32 3×3/2 → conv 64 3×3/2
 *            → flatten (+ condition) → dense `hidden` → heads (mu, log_var | code)
 *   decoder  z (+ condition) → dense reversed `hidden` → dense (h/4)·(w/4)·64
 *            → [b, h/4, w/4, 64] → deconv 32 3×3/2 → deconv c 3×3/2 (linear)
 *            → crop to h×w → flatten `decoder_preact` → `decoder_output`
 *
 * Convolutions use 'same' padding, so each stride-2 layer maps a side n to
 * ⌈n/2⌉ and two of them give ⌈n/4⌉; the decoder doubles twice to 4·⌈n/4⌉ ≥ n
 * and crops the extra bottom rows and right columns (where 'same' padding
 * puts its extra zeros), so any image of at least 4×4 pixels works.
 *
 * Initialisation is PyTorch's (kaiming-uniform with a = √5, i.e. weights and
 * biases ~ U(±1/√fan_in)), as for the dense layers in mlp.ts, so both
 * architectures start where the PyTorch references start.
 *
 * Every layer has an explicit `encoder_*` / `decoder_*` name (heads keep
 * their model-given names), so saved weights reload by name.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { UsageError } from '../../errors.js';
import type { Rng } from '../../random.js';
import type { Activation, CommonConfig } from '../types.js';
import { PixelLogVariance } from './layers.js';
import { applyActivation, denseHead, denseStack, torchDense, withConditions } from './mlp.js';
// Types only: networks.ts imports this module to register the builders.
import type { DecoderSpec, EncoderSpec } from './networks.js';

type Symbolic = tfl.SymbolicTensor;

/** Filters of the encoder's stride-2 convolutions; the decoder mirrors them. */
export const CONV_FILTERS: readonly number[] = [32, 64];
const KERNEL = 3;
const STRIDE = 2;
/** Total down-sampling of the encoder's convolutions (4 for two stride-2 layers). */
const DOWNSAMPLE = STRIDE ** CONV_FILTERS.length;

/** Smallest image side the conv stack accepts: one input pixel per cell of its last feature map. */
export const MIN_CONV_SIDE = DOWNSAMPLE;

/** Sizes of an image through the conv stack. */
export interface ConvGeometry {
  height: number;
  width: number;
  channels: number;
  /** Side lengths of the encoder's last feature map, ⌈h/4⌉ × ⌈w/4⌉. */
  innerHeight: number;
  innerWidth: number;
  /** Rows and columns the decoder crops from the bottom and right of its 4·⌈n/4⌉ output. */
  cropBottom: number;
  cropRight: number;
}

/**
 * How an image of `shape` = [h, w, c] passes through the conv stack.
 *
 * @throws UsageError when h or w is below {@link MIN_CONV_SIDE} (not image
 *   data, e.g. a [1, 1, D] table of features)
 */
export function convGeometry(shape: readonly [number, number, number]): ConvGeometry {
  const [height, width, channels] = shape;
  if (height < MIN_CONV_SIDE || width < MIN_CONV_SIDE) {
    throw new UsageError(
      `--arch conv needs images of at least ${MIN_CONV_SIDE}×${MIN_CONV_SIDE} pixels; this data is ${shape.join('×')} (h×w×c). Use --arch mlp`,
    );
  }
  const innerHeight = Math.ceil(height / DOWNSAMPLE);
  const innerWidth = Math.ceil(width / DOWNSAMPLE);
  return {
    height,
    width,
    channels,
    innerHeight,
    innerWidth,
    cropBottom: innerHeight * DOWNSAMPLE - height,
    cropRight: innerWidth * DOWNSAMPLE - width,
  };
}

/**
 * PyTorch's Conv2d / ConvTranspose2d initialisation: weights and biases
 * ~ U(±1/√fan_in). tfjs's varianceScaling takes fan_in for the kernel from
 * its second-to-last axis: in_channels·kh·kw for conv2d ([kh, kw, in, out])
 * and out_channels·kh·kw for conv2dTranspose ([kh, kw, out, in]), which is
 * also PyTorch's fan_in of a transposed convolution. `fanIn` (the same
 * number) sets the bias bound.
 */
function torchConvInit(fanIn: number, rng: Rng) {
  const limit = 1 / Math.sqrt(fanIn);
  return {
    kernelInitializer: tfl.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: rng.seed() }),
    biasInitializer: tfl.initializers.randomUniform({ minval: -limit, maxval: limit, seed: rng.seed() }),
  };
}

/** Size of the last axis: channels of a feature map, width of a dense layer. */
function lastDim(x: Symbolic): number {
  return x.shape[x.shape.length - 1] as number;
}

/** A 3×3 stride-2 'same' convolution, then the activation (named `<name>_act`). */
function convBlock(x: Symbolic, filters: number, activation: Activation, name: string, rng: Rng): Symbolic {
  const init = torchConvInit(KERNEL * KERNEL * lastDim(x), rng);
  const y = tfl.layers.conv2d({ filters, kernelSize: KERNEL, strides: STRIDE, padding: 'same', name, ...init }).apply(x) as Symbolic;
  return applyActivation(y, activation, `${name}_act`);
}

/** A 3×3 stride-2 'same' transposed convolution (doubles h and w), then the activation. */
function deconvBlock(x: Symbolic, filters: number, activation: Activation, name: string, rng: Rng): Symbolic {
  const init = torchConvInit(KERNEL * KERNEL * filters, rng);
  const y = tfl.layers.conv2dTranspose({ filters, kernelSize: KERNEL, strides: STRIDE, padding: 'same', name, ...init }).apply(x) as Symbolic;
  return applyActivation(y, activation, `${name}_act`);
}

function reshape(x: Symbolic, targetShape: number[], name: string): Symbolic {
  return tfl.layers.reshape({ targetShape, name }).apply(x) as Symbolic;
}

function flatten(x: Symbolic, name: string): Symbolic {
  return tfl.layers.flatten({ name }).apply(x) as Symbolic;
}

function conditionInputs(size: number): Symbolic[] {
  return size > 0 ? [tfl.input({ shape: [size], name: 'condition' })] : [];
}

/**
 * The convolutional encoder. Inputs: flat x [b, h·w·c] and, when
 * `spec.conditionSize` > 0, `condition` [b, conditionSize], concatenated
 * after the convolutions. One output per head in `spec.heads`.
 *
 * @throws UsageError for data that is not an image (see {@link convGeometry})
 */
export function buildConvEncoder(config: CommonConfig, spec: EncoderSpec, rng: Rng): tfl.LayersModel {
  const g = convGeometry(config.inputShape);
  const x = tfl.input({ shape: [g.height * g.width * g.channels], name: 'x' });
  const conditions = conditionInputs(spec.conditionSize);
  // [b, h·w·c] → [b, h, w, c]
  let maps = reshape(x, [g.height, g.width, g.channels], 'encoder_reshape');
  CONV_FILTERS.forEach((filters, i) => {
    maps = convBlock(maps, filters, config.activation, `encoder_conv${i + 1}`, rng);
  });
  // [b, ⌈h/4⌉, ⌈w/4⌉, 64] → [b, ⌈h/4⌉·⌈w/4⌉·64]
  const features = flatten(maps, 'encoder_flatten');
  const hidden = denseStack(withConditions(features, conditions, 'encoder_concat'), config.hidden, config.activation, 'encoder', rng);
  const outputs = spec.heads.map((head) => denseHead(hidden, head.units, head.name, rng));
  return tfl.model({ inputs: [x, ...conditions], outputs, name: 'encoder' });
}

/** Dense layers, then up-sampling to the image: [b, width] → [b, h, w, c] pre-activation. */
function upsample(h: Symbolic, g: ConvGeometry, activation: Activation, rng: Rng): Symbolic {
  const innerChannels = CONV_FILTERS[CONV_FILTERS.length - 1];
  const projected = torchDense(g.innerHeight * g.innerWidth * innerChannels, lastDim(h), 'decoder_project', rng).apply(h) as Symbolic;
  // [b, ⌈h/4⌉·⌈w/4⌉·64] → [b, ⌈h/4⌉, ⌈w/4⌉, 64]
  let t = reshape(applyActivation(projected, activation, 'decoder_project_act'), [g.innerHeight, g.innerWidth, innerChannels], 'decoder_reshape');
  // Mirror of the encoder's filters: 64 → 32 → c; the last layer is linear.
  const filters = [...CONV_FILTERS.slice(0, -1).reverse(), g.channels];
  filters.forEach((f, i) => {
    const last = i === filters.length - 1;
    t = deconvBlock(t, f, last ? 'linear' : activation, `decoder_deconv${i + 1}`, rng);
  });
  if (g.cropBottom === 0 && g.cropRight === 0) return t;
  // [b, 4·⌈h/4⌉, 4·⌈w/4⌉, c] → [b, h, w, c]
  const cropping: [[number, number], [number, number]] = [
    [0, g.cropBottom],
    [0, g.cropRight],
  ];
  return tfl.layers.cropping2D({ cropping, name: 'decoder_crop' }).apply(t) as Symbolic;
}

/**
 * The mirrored decoder. Inputs: z [b, latent] and, when `spec.conditionSize`
 * > 0, `condition`. Outputs: `decoder_output` [b, h·w·c] (the activation of
 * the flat pre-activation layer `decoder_preact`), plus `decoder_log_var`
 * [b, h·w·c] when `spec.learnedLogVariance`.
 *
 * @throws UsageError for data that is not an image (see {@link convGeometry})
 */
export function buildConvDecoder(config: CommonConfig, spec: DecoderSpec, rng: Rng): tfl.LayersModel {
  const g = convGeometry(config.inputShape);
  const z = tfl.input({ shape: [config.latent], name: 'z' });
  const conditions = conditionInputs(spec.conditionSize);
  const hidden = denseStack(withConditions(z, conditions, 'decoder_concat'), [...config.hidden].reverse(), config.activation, 'decoder', rng);
  // [b, h, w, c] → [b, h·w·c]
  const preact = flatten(upsample(hidden, g, config.activation, rng), 'decoder_preact');
  const outputs = [tfl.layers.activation({ activation: spec.output, name: 'decoder_output' }).apply(preact) as Symbolic];
  if (spec.learnedLogVariance) {
    outputs.push(new PixelLogVariance({ units: g.height * g.width * g.channels, name: 'decoder_log_var' }).apply(z) as Symbolic);
  }
  return tfl.model({ inputs: [z, ...conditions], outputs, name: 'decoder' });
}

/** The `--arch conv` entry of the architecture table in networks.ts. */
export const conv = { encoder: buildConvEncoder, decoder: buildConvDecoder };
