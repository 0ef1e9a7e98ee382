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
import { Ae, type AeNetworks, type ForwardState, type Penalty } from '../ae/model.js';
import { inference, type NetworkArgs } from '../shared/networks.js';
import type { ForwardContext } from '../types.js';
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
  protected override encoderOutputs(x: tf.Tensor2D, args: NetworkArgs = inference()): tf.Tensor[] {
    if (this.encoderView === null) return super.encoderOutputs(x, args);
    return this.encoderView.apply(x, args) as tf.Tensor[];
  }

  protected override codeStep(code: tf.Tensor2D, _ctx: Pick<ForwardContext, 'training'>): tf.Tensor2D {
    return this.config.k === null ? code : kSparse(code, this.config.k);
  }

  /** Σ_k s_k (reported) and Σ_k w_k·s_k (added to the loss) over the hidden layers, or null without a penalty. */
  private sparsityTerm(hidden: tf.Tensor2D[]): { value: tf.Scalar; weighted: tf.Scalar } | null {
    const { sparsity, rho, sparsityWeight } = this.config;
    return sparsity === null ? null : sparsityPenalty({ kind: sparsity, rho }, hidden, sparsityWeight);
  }

  /** The sparsity term over the hidden activations (encoder outputs after the code), with its per-layer weights applied. */
  protected override penalties(state: ForwardState, ctx: ForwardContext): Record<string, Penalty> {
    const own = super.penalties(state, ctx);
    const sparsity = this.sparsityTerm(state.encoderOutputs.slice(1) as tf.Tensor2D[]);
    return sparsity === null ? own : { ...own, sparsity };
  }
}
