/**
 * The `--arch conv` networks: a convolutional encoder and a mirrored decoder
 * of transposed convolutions, for image data. With filters f₁..f_L
 * (`--conv-filters`, default 32,64) and D = 2^L:
 *
 *   encoder  x [b, h·w·c] → [b, h, w, c] → L × (conv f_i 3×3/2 [→ BN] → act [→ dropout])
 *            → flatten (+ condition) → dense `hidden` → heads (mu, log_var | code)
 *   decoder  z (+ condition) → dense reversed `hidden` → dense (h/D)·(w/D)·f_L
 *            → [b, h/D, w/D, f_L] → deconv f_{L−1} .. f₁ 3×3/2 [→ BN] → act [→ dropout]
 *            → deconv c 3×3/2 (linear) → crop to h×w → flatten `decoder_preact` → `decoder_output`
 *
 * `--conv-filters 32,64,64,64 --latent 200 --batch-norm --dropout 0.25` is
 * the Keras book's VAE for 64×64 colour faces.
 *
 * Convolutions use 'same' padding, so each stride-2 layer maps a side n to
 * ⌈n/2⌉ and L of them give ⌈n/D⌉; the decoder doubles L times to D·⌈n/D⌉ ≥ n
 * and crops the extra bottom rows and right columns (where 'same' padding
 * puts its extra zeros), so any image of at least D×D pixels works.
 *
 * Batch normalisation and dropout follow tfjs-layers' `training` argument:
 * batch statistics (updating the moving ones) and dropped units only when
 * the model runs a training step (see `networkArgs` in networks.ts).
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
import { FastBatchNormalization, FastConv2D, PixelLogVariance, SeededDropout } from './layers.js';
import { applyActivation, denseStack, denseHead, torchDense, withConditions } from './mlp.js';
// Types only: networks.ts imports this module to register the builders.
import type { DecoderSpec, EncoderSpec } from './networks.js';

type Symbolic = tfl.SymbolicTensor;

/** Filters of the encoder's stride-2 convolutions when the config names none (runs from before `convFilters`). */
export const CONV_FILTERS: readonly number[] = [32, 64];
const KERNEL = 3;
const STRIDE = 2;
/**
 * Momentum of the moving batch statistics: PyTorch's 0.1 update rate rather
 * than Keras's 0.99 (0.01), so they settle within a few hundred steps of a
 * short run instead of thousands.
 */
const BN_MOMENTUM = 0.9;

/** Smallest image side a conv stack of `layers` stride-2 convolutions accepts: one input pixel per cell of its last feature map. */
export function minConvSide(layers: number): number {
  return STRIDE ** layers;
}

/** Sizes of an image through the conv stack. */
export interface ConvGeometry {
  height: number;
  width: number;
  channels: number;
  /** Side lengths of the encoder's last feature map, ⌈h/D⌉ × ⌈w/D⌉. */
  innerHeight: number;
  innerWidth: number;
  /** Rows and columns the decoder crops from the bottom and right of its D·⌈n/D⌉ output. */
  cropBottom: number;
  cropRight: number;
}

/**
 * How an image of `shape` = [h, w, c] passes through a stack of
 * `filters.length` stride-2 convolutions.
 *
 * @throws UsageError when h or w is below {@link minConvSide} (not image
 *   data, e.g. a [1, 1, D] table of features, or too many layers for the size)
 */
export function convGeometry(shape: readonly [number, number, number], filters: readonly number[] = CONV_FILTERS): ConvGeometry {
  const [height, width, channels] = shape;
  const down = minConvSide(filters.length);
  if (height < down || width < down) {
    throw new UsageError(
      `--arch conv needs images of at least ${down}×${down} pixels; this data is ${shape.join('×')} (h×w×c), and each of its ${filters.length} stride-2 convolutions halves a side. Use fewer --conv-filters, or --arch mlp`,
    );
  }
  const innerHeight = Math.ceil(height / down);
  const innerWidth = Math.ceil(width / down);
  return { height, width, channels, innerHeight, innerWidth, cropBottom: innerHeight * down - height, cropRight: innerWidth * down - width };
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

/** What follows each convolution but the decoder's last: [batch normalisation →] activation [→ dropout]. */
interface BlockOptions {
  activation: Activation;
  batchNorm: boolean;
  dropout: number;
}

function blockOptions(config: CommonConfig): BlockOptions {
  return { activation: config.activation, batchNorm: config.batchNorm ?? false, dropout: config.dropout ?? 0 };
}

/** The layers after a convolution named `name`: `<name>_bn`, `<name>_act`, `<name>_dropout`. */
function afterConv(y: Symbolic, options: BlockOptions, name: string): Symbolic {
  let t = y;
  if (options.batchNorm) t = new FastBatchNormalization({ axis: -1, momentum: BN_MOMENTUM, name: `${name}_bn` }).apply(t) as Symbolic;
  t = applyActivation(t, options.activation, `${name}_act`);
  if (options.dropout > 0) t = new SeededDropout({ rate: options.dropout, name: `${name}_dropout` }).apply(t) as Symbolic;
  return t;
}

/** A 3×3 stride-2 'same' convolution and what follows it. */
function convBlock(x: Symbolic, filters: number, options: BlockOptions, name: string, rng: Rng): Symbolic {
  const init = torchConvInit(KERNEL * KERNEL * lastDim(x), rng);
  const y = new FastConv2D({ filters, kernelSize: KERNEL, strides: STRIDE, padding: 'same', name, ...init }).apply(x) as Symbolic;
  return afterConv(y, options, name);
}

/** A 3×3 stride-2 'same' transposed convolution (doubles h and w); with `options`, what follows it, else nothing (the linear output layer). */
function deconvBlock(x: Symbolic, filters: number, options: BlockOptions | null, name: string, rng: Rng): Symbolic {
  const init = torchConvInit(KERNEL * KERNEL * filters, rng);
  const y = tfl.layers.conv2dTranspose({ filters, kernelSize: KERNEL, strides: STRIDE, padding: 'same', name, ...init }).apply(x) as Symbolic;
  return options ? afterConv(y, options, name) : y;
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
  const filters = config.convFilters ?? CONV_FILTERS;
  const g = convGeometry(config.inputShape, filters);
  const x = tfl.input({ shape: [g.height * g.width * g.channels], name: 'x' });
  const conditions = conditionInputs(spec.conditionSize);
  // [b, h·w·c] → [b, h, w, c]
  let maps = reshape(x, [g.height, g.width, g.channels], 'encoder_reshape');
  filters.forEach((f, i) => {
    maps = convBlock(maps, f, blockOptions(config), `encoder_conv${i + 1}`, rng);
  });
  // [b, ⌈h/D⌉, ⌈w/D⌉, f_L] → [b, ⌈h/D⌉·⌈w/D⌉·f_L]
  const features = flatten(maps, 'encoder_flatten');
  const hidden = denseStack(withConditions(features, conditions, 'encoder_concat'), config.hidden, config.activation, 'encoder', rng);
  const outputs = spec.heads.map((head) => denseHead(hidden, head.units, head.name, rng));
  return tfl.model({ inputs: [x, ...conditions], outputs, name: 'encoder' });
}

/** Dense layers, then up-sampling to the image: [b, width] → [b, h, w, c] pre-activation. */
function upsample(h: Symbolic, g: ConvGeometry, config: CommonConfig, rng: Rng): Symbolic {
  const encoderFilters = config.convFilters ?? CONV_FILTERS;
  const innerChannels = encoderFilters[encoderFilters.length - 1]!;
  const projected = torchDense(g.innerHeight * g.innerWidth * innerChannels, lastDim(h), 'decoder_project', rng).apply(h) as Symbolic;
  // [b, ⌈h/D⌉·⌈w/D⌉·f_L] → [b, ⌈h/D⌉, ⌈w/D⌉, f_L]
  let t = reshape(applyActivation(projected, config.activation, 'decoder_project_act'), [g.innerHeight, g.innerWidth, innerChannels], 'decoder_reshape');
  // Mirror of the encoder's filters (32,64 → 32 then c); the last layer is linear.
  const filters = [...encoderFilters.slice(0, -1).reverse(), g.channels];
  filters.forEach((f, i) => {
    const last = i === filters.length - 1;
    t = deconvBlock(t, f, last ? null : blockOptions(config), `decoder_deconv${i + 1}`, rng);
  });
  if (g.cropBottom === 0 && g.cropRight === 0) return t;
  // [b, D·⌈h/D⌉, D·⌈w/D⌉, c] → [b, h, w, c]
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
  const g = convGeometry(config.inputShape, config.convFilters ?? CONV_FILTERS);
  const z = tfl.input({ shape: [config.latent], name: 'z' });
  const conditions = conditionInputs(spec.conditionSize);
  const hidden = denseStack(withConditions(z, conditions, 'decoder_concat'), [...config.hidden].reverse(), config.activation, 'decoder', rng);
  // [b, h, w, c] → [b, h·w·c]
  const preact = flatten(upsample(hidden, g, config, rng), 'decoder_preact');
  const outputs = [tfl.layers.activation({ activation: spec.output, name: 'decoder_output' }).apply(preact) as Symbolic];
  if (spec.learnedLogVariance) {
    outputs.push(new PixelLogVariance({ units: g.height * g.width * g.channels, name: 'decoder_log_var' }).apply(z) as Symbolic);
  }
  return tfl.model({ inputs: [z, ...conditions], outputs, name: 'decoder' });
}

/** The `--arch conv` entry of the architecture table in networks.ts. */
export const conv = { encoder: buildConvEncoder, decoder: buildConvDecoder };
