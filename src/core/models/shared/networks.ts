/**
 * Encoder and decoder networks shared by the models, built per architecture.
 * Every decoder exposes its pre-activation output as layer `decoder_preact`
 * so that losses can work from logits while the saved network outputs data.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { FieldError } from '../../errors.js';
import type { Rng } from '../../random.js';
import type { Architecture, CommonConfig, ForwardContext } from '../types.js';
import { conv } from './conv.js';
import { PixelLogVariance } from './layers.js';
import { denseHead, denseStack, withConditions } from './mlp.js';

export type OutputActivation = 'sigmoid' | 'linear';

export interface EncoderSpec {
  /** Output heads, e.g. [{name:'mu', units: L}, {name:'log_var', units: L}] or [{name:'code', units: L}]. */
  heads: { name: string; units: number }[];
  /** Width of an extra input concatenated to x (one-hot labels); 0 for none. */
  conditionSize: number;
}

export interface DecoderSpec {
  output: OutputActivation;
  conditionSize: number;
  /** Add a second output: a learned per-pixel log σ². */
  learnedLogVariance?: boolean;
}

interface Builders {
  encoder(config: CommonConfig, spec: EncoderSpec, rng: Rng): tfl.LayersModel;
  decoder(config: CommonConfig, spec: DecoderSpec, rng: Rng): tfl.LayersModel;
}

function featureCount(config: CommonConfig): number {
  const [h, w, c] = config.inputShape;
  return h * w * c;
}

function conditionInputs(size: number): tfl.SymbolicTensor[] {
  return size > 0 ? [tfl.input({ shape: [size], name: 'condition' })] : [];
}

const mlp: Builders = {
  encoder(config, spec, rng) {
    const x = tfl.input({ shape: [featureCount(config)], name: 'x' });
    const conditions = conditionInputs(spec.conditionSize);
    const h = denseStack(withConditions(x, conditions, 'encoder_concat'), config.hidden, config.activation, 'encoder', rng);
    const outputs = spec.heads.map((head) => denseHead(h, head.units, head.name, rng));
    return tfl.model({ inputs: [x, ...conditions], outputs, name: 'encoder' });
  },
  decoder(config, spec, rng) {
    const z = tfl.input({ shape: [config.latent], name: 'z' });
    const conditions = conditionInputs(spec.conditionSize);
    const hidden = [...config.hidden].reverse();
    const h = denseStack(withConditions(z, conditions, 'decoder_concat'), hidden, config.activation, 'decoder', rng);
    const preact = denseHead(h, featureCount(config), 'decoder_preact', rng);
    const output = tfl.layers.activation({ activation: spec.output, name: 'decoder_output' }).apply(preact) as tfl.SymbolicTensor;
    const outputs = [output];
    if (spec.learnedLogVariance) {
      outputs.push(new PixelLogVariance({ units: featureCount(config), name: 'decoder_log_var' }).apply(z) as tfl.SymbolicTensor);
    }
    return tfl.model({ inputs: [z, ...conditions], outputs, name: 'decoder' });
  },
};

/** One entry per architecture; `--arch conv` registers its builders here too. */
const builders: Partial<Record<Architecture, Builders>> = { mlp, conv };

export function registerArchitecture(arch: Architecture, b: Builders): void {
  builders[arch] = b;
}

function buildersFor(arch: Architecture): Builders {
  const b = builders[arch];
  if (!b) throw new FieldError('arch', `${arch} is not available`);
  return b;
}

export function buildEncoder(config: CommonConfig, spec: EncoderSpec, rng: Rng): tfl.LayersModel {
  return buildersFor(config.arch).encoder(config, spec, rng);
}

export function buildDecoder(config: CommonConfig, spec: DecoderSpec, rng: Rng): tfl.LayersModel {
  return buildersFor(config.arch).decoder(config, spec, rng);
}

/**
 * The decoder up to `decoder_preact` (logits for a sigmoid output), sharing
 * weights with the full decoder; plus the log σ² output when there is one.
 */
export function decoderTrainingView(decoder: tfl.LayersModel): tfl.LayersModel {
  const outputs = [decoder.getLayer('decoder_preact').output as tfl.SymbolicTensor];
  const logVar = decoder.layers.find((l) => l.name === 'decoder_log_var');
  if (logVar) outputs.push(logVar.output as tfl.SymbolicTensor);
  return tfl.model({ inputs: decoder.inputs, outputs });
}

/**
 * The keyword arguments of a network call. With `training`, batch
 * normalisation uses (and updates the moving averages from) the batch's own
 * statistics, and dropout drops units with masks drawn from `seed`; without
 * it both are the inference-time layers. Networks without such layers
 * ignore them.
 */
export type NetworkArgs = { training: boolean; seed?: number };

/** Inference: moving statistics, no dropout (encode, decode, evaluation). A fresh object each time: tfjs-layers may add keys to it. */
export const inference = (): NetworkArgs => ({ training: false });

/**
 * The network arguments of a forward pass. The dropout seed is drawn from
 * the step's Rng only when the config has dropout, so models without it
 * draw exactly the random numbers they always drew.
 */
export function networkArgs(config: CommonConfig, ctx: Pick<ForwardContext, 'training' | 'rng'>): NetworkArgs {
  if (!ctx.training) return inference();
  return (config.dropout ?? 0) > 0 ? { training: true, seed: ctx.rng.seed() } : { training: true };
}

/**
 * Whether a network keeps state besides its trainable weights (batch
 * normalisation's moving statistics), which data-parallel replicas would
 * each update from their own shard.
 */
export function hasRunningStatistics(networks: Readonly<Record<string, tfl.LayersModel>>): boolean {
  return Object.values(networks).some((net) => net.nonTrainableWeights.length > 0);
}

/** Trainable variables of several networks, in a stable order. */
export function variablesOf(...networks: tfl.LayersModel[]): import('@tensorflow/tfjs-core').Variable[] {
  const seen = new Set<string>();
  const vars: import('@tensorflow/tfjs-core').Variable[] = [];
  for (const net of networks) {
    for (const w of net.trainableWeights) {
      const v = w.read() as import('@tensorflow/tfjs-core').Variable;
      if (!seen.has(v.name)) {
        seen.add(v.name);
        vars.push(v);
      }
    }
  }
  return vars;
}
