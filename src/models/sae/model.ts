/**
 * The sparse autoencoder: the undercomplete autoencoder of `ae` with
 *   - a k-sparse code step (`--k`), applied in training and when encoding, and/or
 *   - a sparsity penalty on the encoder's hidden activations (`--sparsity`).
 *
 * The saved encoder is the plain `ae` encoder (one output, the code). To see
 * the hidden activations the model builds, at construction, a view of it whose
 * extra outputs are those activations; it shares the encoder's weights, so it
 * needs nothing saved and is rebuilt identically after a reload.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Ae, type AeNetworks } from '../ae/model.js';
import type { Batch, ForwardContext, ModelOutput } from '../types.js';
import type { SaeConfig } from './config.js';
import { sparsityPenalty } from './sparsity.js';
import { kSparse } from './topk.js';

/** Output of hidden layer `i` (1-based): after its activation, or the dense output for `--activation linear`. */
function hiddenLayerOutput(encoder: tfl.LayersModel, i: number): tfl.SymbolicTensor {
  const names = [`encoder_act${i}`, `encoder_dense${i}`];
  const layer = names.map((name) => encoder.layers.find((l) => l.name === name)).find((l) => l !== undefined);
  if (!layer) throw new Error(`the encoder has no hidden layer ${i} (looked for ${names.join(', ')})`);
  return layer.output as tfl.SymbolicTensor;
}

/**
 * The encoder with outputs [code, h_1, ..., h_n], h_i the activations of
 * hidden layer i; it shares every weight with `encoder`.
 */
export function hiddenActivationsView(encoder: tfl.LayersModel, hiddenLayers: number): tfl.LayersModel {
  const hidden = Array.from({ length: hiddenLayers }, (_, i) => hiddenLayerOutput(encoder, i + 1));
  return tfl.model({ inputs: encoder.inputs, outputs: [encoder.outputs[0], ...hidden], name: 'encoder_hidden_view' });
}

export class Sae extends Ae<SaeConfig> {
  /** Encoder view with the hidden activations as extra outputs; only when a penalty needs them. */
  private readonly encoderView: tfl.LayersModel | null;

  constructor(config: SaeConfig, networks: AeNetworks) {
    super(config, networks);
    this.encoderView = config.sparsity === null ? null : hiddenActivationsView(networks.encoder, config.hidden.length);
  }

  /** [code, h_1, ..., h_n] when a penalty is set, else [code]. */
  protected override encoderOutputs(x: tf.Tensor2D): tf.Tensor[] {
    if (this.encoderView === null) return super.encoderOutputs(x);
    return this.encoderView.apply(x) as tf.Tensor[];
  }

  protected override codeStep(code: tf.Tensor2D, _ctx: Pick<ForwardContext, 'training'>): tf.Tensor2D {
    return this.config.k === null ? code : kSparse(code, this.config.k);
  }

  /** Σ_k s_k (reported) and Σ_k w_k·s_k (added to the loss) over the hidden layers, or null without a penalty. */
  private sparsityTerm(hidden: tf.Tensor2D[]): { value: tf.Scalar; weighted: tf.Scalar } | null {
    const { sparsity, rho, sparsityWeight } = this.config;
    return sparsity === null ? null : sparsityPenalty({ kind: sparsity, rho }, hidden, sparsityWeight);
  }

  /**
   * Ae's forward pass, with the `sparsity` term added here rather than through
   * the `penalties` hook: a hook penalty enters the loss as one weight times
   * its value, while the reported term is Σ_k s_k and the loss needs
   * Σ_k w_k·s_k, one weight per hidden layer. The hook still applies, so a
   * subclass can add penalties as it would to `Ae`.
   */
  override forward(batch: Batch, ctx: ForwardContext): ModelOutput {
    return tf.tidy(() => {
      const input = ctx.training ? this.corrupt(batch.x, ctx) : batch.x;
      const encoderOutputs = this.encoderOutputs(input);
      const z = this.codeStep(encoderOutputs[0] as tf.Tensor2D, ctx);
      const preact = this.decoderView.apply(z) as tf.Tensor2D;
      const { perExample, output } = this.reconstructionLoss(preact, batch.x);
      const recon = tf.mean(perExample) as tf.Scalar;
      const terms: Record<string, tf.Scalar> = { recon };
      let loss = recon;
      const sparsity = this.sparsityTerm(encoderOutputs.slice(1) as tf.Tensor2D[]);
      if (sparsity !== null) {
        terms.sparsity = sparsity.value;
        loss = tf.add(loss, sparsity.weighted);
      }
      for (const [name, penalty] of Object.entries(this.penalties({ input, encoderOutputs, z }, ctx))) {
        terms[name] = penalty.value;
        loss = tf.add(loss, tf.mul(penalty.weight, penalty.value));
      }
      return { loss, terms, z, recon: output };
    });
  }
}
