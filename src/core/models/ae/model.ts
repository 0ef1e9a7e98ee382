/**
 * The undercomplete ("sandwich") autoencoder: x → encoder → code → decoder → x̂.
 *
 * Its variants differ only at the hooks below, so each lives in its own folder
 * and overrides one or two of them:
 *   corrupt(x)        what the encoder sees while training (denoising)
 *   codeStep(code)    what the decoder receives (k-sparse top-k)
 *   penalties(...)    extra named loss terms (sparsity, contractive)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { bceWithLogits, sumSquaredError } from '../../losses/index.js';
import type { Rng } from '../../random.js';
import { buildDecoder, buildEncoder, decoderTrainingView, inference, networkArgs, variablesOf, type NetworkArgs } from '../shared/networks.js';
import type { Autoencoder, Batch, ForwardContext, ModelOutput, Likelihood } from '../types.js';
import type { AeConfig } from './config.js';

export type AeNetworks = { encoder: LayersModel; decoder: LayersModel } & Record<string, LayersModel>;

/** What the penalty hook sees of one forward pass. */
export interface ForwardState {
  /** The (possibly corrupted) encoder input, [b, D]. */
  input: tf.Tensor2D;
  /** Encoder outputs: the code first, then any extra outputs a subclass asked for. */
  encoderOutputs: tf.Tensor[];
  /** The code after the code step, [b, L]. */
  z: tf.Tensor2D;
}

/**
 * A named penalty: its unweighted value (reported as a term) and how it enters
 * the loss: one `weight` times the value, or an already `weighted` scalar when
 * the weighting is finer (one weight per layer, say).
 */
export type Penalty = { value: tf.Scalar; weight: number } | { value: tf.Scalar; weighted: tf.Scalar };

export class Ae<C extends AeConfig = AeConfig> implements Autoencoder<C> {
  readonly generative: boolean = false;
  readonly conditional: boolean = false;
  readonly likelihood: Likelihood;
  protected readonly decoderView: LayersModel;

  constructor(
    readonly config: C,
    readonly networks: AeNetworks,
  ) {
    this.decoderView = decoderTrainingView(networks.decoder);
    this.likelihood = config.loss === 'bce' ? 'bernoulli' : 'gaussian';
  }

  /** Encoder (one head, `code`) and mirrored decoder. */
  static buildNetworks(config: AeConfig, rng: Rng): AeNetworks {
    const encoder = buildEncoder(config, { heads: [{ name: 'code', units: config.latent }], conditionSize: 0 }, rng);
    const decoder = buildDecoder(config, { output: config.loss === 'bce' ? 'sigmoid' : 'linear', conditionSize: 0 }, rng);
    return { encoder, decoder };
  }

  protected corrupt(x: tf.Tensor2D, _ctx: ForwardContext): tf.Tensor2D {
    return x;
  }

  protected codeStep(code: tf.Tensor2D, _ctx: Pick<ForwardContext, 'training'>): tf.Tensor2D {
    return code;
  }

  protected penalties(_state: ForwardState, _ctx: ForwardContext): Record<string, Penalty> {
    return {};
  }

  /** `args` says whether the encoder runs as in training (batch statistics, dropout). */
  protected encoderOutputs(x: tf.Tensor2D, args: NetworkArgs = inference()): tf.Tensor[] {
    const out = this.networks.encoder.apply(x, args) as tf.Tensor | tf.Tensor[];
    return Array.isArray(out) ? out : [out];
  }

  /** Per-example reconstruction loss from the decoder's pre-activation. */
  protected reconstructionLoss(preact: tf.Tensor2D, x: tf.Tensor2D): { perExample: tf.Tensor1D; output: tf.Tensor2D } {
    if (this.config.loss === 'bce') return { perExample: bceWithLogits(preact, x), output: tf.sigmoid(preact) };
    return { perExample: sumSquaredError(preact, x), output: preact };
  }

  forward(batch: Batch, ctx: ForwardContext): ModelOutput {
    return tf.tidy(() => {
      const input = ctx.training ? this.corrupt(batch.x, ctx) : batch.x;
      const args = networkArgs(this.config, ctx);
      const encoderOutputs = this.encoderOutputs(input, args);
      const z = this.codeStep(encoderOutputs[0] as tf.Tensor2D, ctx);
      const preact = this.decoderView.apply(z, args) as tf.Tensor2D;
      const { perExample, output } = this.reconstructionLoss(preact, batch.x);
      const recon = tf.mean(perExample) as tf.Scalar;
      const terms: Record<string, tf.Scalar> = { recon };
      let loss: tf.Scalar = recon;
      for (const [name, penalty] of Object.entries(this.penalties({ input, encoderOutputs, z }, ctx))) {
        terms[name] = penalty.value;
        loss = tf.add(loss, 'weighted' in penalty ? penalty.weighted : tf.mul(penalty.weight, penalty.value));
      }
      return { loss, terms, z, recon: output };
    });
  }

  encode(batch: Batch): tf.Tensor2D {
    return tf.tidy(() => this.codeStep(this.encoderOutputs(batch.x)[0] as tf.Tensor2D, { training: false }));
  }

  decode(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.networks.decoder.apply(z, inference()) as tf.Tensor2D);
  }

  trainableVariables(): tf.Variable[] {
    return variablesOf(this.networks.encoder, this.networks.decoder);
  }

  dispose(): void {
    this.networks.encoder.dispose();
    this.networks.decoder.dispose();
  }
}
