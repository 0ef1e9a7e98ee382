/**
 * The exact Jacobian penalty ‖∂f(x)/∂x‖²_F of an MLP encoder f, written out
 * layer by layer instead of as a gradient of a gradient.
 *
 * Why not nested `tf.grad`: TensorFlow.js 4.22 records the saved *outputs*
 * of a kernel (tanh, sigmoid keep y to form 1 − y², y(1 − y)) on the tape
 * before the kernel itself, so a second differentiation silently drops every
 * term through them, and leaky ReLU's gradient uses `greater`, which has no
 * gradient at all. The product below needs only first derivatives of
 * ordinary ops, which are exact for every activation.
 *
 * For f = A_n ∘ σ ∘ A_{n−1} ∘ … ∘ σ ∘ A_1 with A_k(h) = h·W_k + b_k, the
 * Jacobian of one example is J = W_nᵀ · diag σ'(a_{n−1}) · W_{n−1}ᵀ ⋯ diag σ'(a_1) · W_1ᵀ.
 * It is accumulated from the code backwards, so the widest intermediate is
 * [batch, latent, width] rather than [batch, input, width], and its last
 * factor enters through a Gram matrix where that is cheaper
 * (`squaredJacobianNorms`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

type Layer = LayersModel['layers'][number];
/** σ'(a) from an activation's input a and output y. */
type Slope = (a: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D;

/** One link of the chain: an affine map (with its kernel) or an elementwise activation (with its slope). */
type Link =
  | { kind: 'affine'; kernel: () => tf.Tensor2D; apply: (h: tf.Tensor2D) => tf.Tensor2D }
  | { kind: 'elementwise'; apply: (h: tf.Tensor2D) => { out: tf.Tensor2D; slope: tf.Tensor2D } };

function unsupported(layer: Layer, why: string): Error {
  return new Error(`contractive penalty: encoder layer '${layer.name}' (${layer.getClassName()}) ${why}; the cae needs a plain MLP encoder (--arch mlp)`);
}

/** The slope of a named activation; null for the identity. */
function namedSlope(activation: string, layer: Layer): Slope | null {
  switch (activation) {
    case 'linear':
      return null;
    case 'relu':
      return (a) => tf.step(a);
    case 'tanh':
      return (_a, y) => tf.sub(1, tf.square(y));
    case 'sigmoid':
      return (_a, y) => tf.mul(y, tf.sub(1, y));
    default:
      throw unsupported(layer, `has activation '${activation}', whose derivative is not implemented`);
  }
}

/** The slope of an activation layer; null for the identity. */
function layerSlope(layer: Layer): Slope | null {
  const config = layer.getConfig() as { activation?: string; alpha?: number };
  switch (layer.getClassName()) {
    case 'LeakyReLU':
      return (a) => tf.step(a, config.alpha);
    case 'Activation':
      return namedSlope(String(config.activation), layer);
    default:
      throw unsupported(layer, 'is neither dense nor an activation');
  }
}

function affineLink(layer: Layer): Link {
  // A built-in activation would hide the pre-activation the slope needs.
  if ((layer.getConfig() as { activation?: string }).activation !== 'linear') throw unsupported(layer, 'has a built-in activation');
  const kernel = layer.trainableWeights.find((w) => w.originalName.endsWith('kernel'));
  if (!kernel) throw unsupported(layer, 'has no trainable kernel');
  return { kind: 'affine', kernel: () => kernel.read() as tf.Tensor2D, apply: (h) => layer.apply(h) as tf.Tensor2D };
}

/** A layer as a link; null for layers that do nothing to the Jacobian (the input, linear activations). */
function linkOf(layer: Layer): Link | null {
  if (layer.getClassName() === 'InputLayer') return null;
  if (layer.getClassName() === 'Dense') return affineLink(layer);
  const slope = layerSlope(layer);
  if (!slope) return null;
  return {
    kind: 'elementwise',
    apply: (h) => {
      const out = layer.apply(h) as tf.Tensor2D;
      return { out, slope: slope(h, out) };
    },
  };
}

/** The encoder as a chain of links, checking that each layer feeds only the next. */
function chainOf(encoder: LayersModel): Link[] {
  if (encoder.inputs.length !== 1 || encoder.outputs.length !== 1) {
    throw new Error('contractive penalty: the encoder must have one input and one output (the code)');
  }
  const links: Link[] = [];
  encoder.layers.forEach((layer, i) => {
    if (i > 0 && layer.input !== encoder.layers[i - 1].output) throw unsupported(layer, 'does not take the previous layer as its only input');
    const link = linkOf(layer);
    if (link) links.push(link);
  });
  return links;
}

/**
 * Run the encoder on x, returning the code and each hidden layer's activation
 * slope σ'(a_k) [batch, width_k] (none for linear activations).
 */
export function encodeWithSlopes(encoder: LayersModel, x: tf.Tensor2D): { code: tf.Tensor2D; slopes: tf.Tensor2D[] } {
  let h = x;
  const slopes: tf.Tensor2D[] = [];
  for (const link of chainOf(encoder)) {
    if (link.kind === 'affine') {
      h = link.apply(h);
    } else {
      const { out, slope } = link.apply(h);
      slopes.push(slope);
      h = out;
    }
  }
  return { code: h, slopes };
}

/** How the last factor, the kernels below the first activation, enters ‖J‖²_F. */
export type JacobianStrategy = 'auto' | 'chain' | 'gram';

/**
 * Per-example ‖∂f(x)/∂x‖²_F, [batch], from the slopes `encodeWithSlopes`
 * returned for that batch; [1] for a linear encoder, whose J is the same for
 * every example. Differentiable in the encoder's weights.
 *
 * Split J = G_x · D_x · Kᵀ at the first activation: K [input, w] is the
 * product of the kernels below it (the same for every example), D_x =
 * diag σ'(a_1) its slopes s, and G_x [latent, w] the chain above it, built
 * from the code backwards as in `chainRows`. Then
 *   ‖J‖²_F = tr(G D Q D Gᵀ) with Q = KᵀK [w, w],
 * which never forms the [batch, latent, input] Jacobian:
 *  - one activation (G the same for every example, R = GᵀG):
 *    ‖J‖²_F = sᵀ (Q ⊙ R) s, O(w²) per example instead of O(latent·w·input)
 *    (for a one-layer sigmoid code this is Σ_j (h_j(1−h_j))² Σ_i W_ij²);
 *  - deeper encoders: Σ_l (G D)_l Q (G D)_lᵀ over the code units, when
 *    w² per row plus the Gram's input·w² is less than the input·w of
 *    multiplying by Kᵀ (`chain` otherwise, or when asked).
 */
export function squaredJacobianNorms(encoder: LayersModel, slopes: readonly tf.Tensor2D[], strategy: JacobianStrategy = 'auto'): tf.Tensor1D {
  return tf.tidy(() => {
    const links = chainOf(encoder);
    const activations = links.filter((link) => link.kind === 'elementwise').length;
    if (slopes.length !== activations) throw new Error(`contractive penalty: ${slopes.length} slopes for the ${activations} activations of the encoder`);
    const first = links.findIndex((link) => link.kind === 'elementwise');
    // No activation, or one on the input itself: no kernel below to take a Gram of.
    if (first <= 0) return sumOfSquares(chainRows(encoder, links, slopes));
    // ∂code/∂(output of the first activation), [b or 1, latent, w]
    const above = chainRows(encoder, links.slice(first + 1), slopes.slice(1));
    const s = slopes[0];
    const below = kernelsBelow(links.slice(0, first)); // K, [input, w]
    const [rows, latent, w] = above.shape;
    const input = below.shape[0];
    if (rows === 1 && strategy !== 'chain') {
      const g = tf.reshape(above, [latent, w]);
      const weights = tf.mul(gram(below), tf.matMul(g, g, true, false)); // Q ⊙ R, [w, w]
      return tf.sum(tf.mul(tf.matMul(s, weights), s), 1) as tf.Tensor1D;
    }
    const gs = tf.mul(above, tf.expandDims(s, 1)) as tf.Tensor3D; // G·D, [b, latent, w]
    const b = s.shape[0];
    const gramCheaper = w * (b * latent + input) < b * latent * input;
    if (strategy === 'gram' || (strategy === 'auto' && gramCheaper)) {
      const flat = tf.reshape(gs, [b * latent, w]) as tf.Tensor2D;
      return tf.sum(tf.reshape(tf.mul(tf.matMul(flat, gram(below)), flat), [b, latent * w]), 1) as tf.Tensor1D;
    }
    return sumOfSquares(applyKernelT(gs, below));
  });
}

/**
 * KᵀK, with the gradient K·(dQ + dQᵀ) as one product (differentiating the
 * matMul takes two, each as large as the Gram itself).
 */
const gram = tf.customGrad(((k: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([k]);
  return {
    value: tf.matMul(k, k, true, false),
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.matMul(saved as tf.Tensor2D, tf.add(dy, tf.transpose(dy)) as tf.Tensor2D),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (k: tf.Tensor2D) => tf.Tensor2D;

/** Σ of squares over the last two axes of [b, latent, n]: one ‖·‖²_F per example. */
const sumOfSquares = (g: tf.Tensor3D) => tf.sum(tf.square(g), [1, 2]) as tf.Tensor1D;

/** g·kernelᵀ for every example: [b, latent, out] → [b, latent, in]. */
function applyKernelT(g: tf.Tensor3D, kernel: tf.Tensor2D): tf.Tensor3D {
  const [b, latent, out] = g.shape;
  const flat = tf.matMul(tf.reshape(g, [b * latent, out]), kernel, false, true);
  return tf.reshape(flat, [b, latent, kernel.shape[0]]) as tf.Tensor3D;
}

/** The kernels of consecutive affine links multiplied out: x·W_a·W_b = x·K. */
function kernelsBelow(links: Link[]): tf.Tensor2D {
  return links.map((link) => (link as Extract<Link, { kind: 'affine' }>).kernel()).reduce((k, next) => tf.matMul(k, next));
}

/**
 * ∂code/∂(input of `links`), [b or 1, latent, width], from the code
 * backwards: one row per code unit, times each kernel transposed and each
 * activation's slopes (`slopes` are those of `links`, in order).
 */
function chainRows(encoder: LayersModel, links: Link[], slopes: readonly tf.Tensor2D[]): tf.Tensor3D {
  const latent = encoder.outputs[0].shape[1] as number;
  let next = slopes.length;
  let g = tf.expandDims(tf.eye(latent), 0) as tf.Tensor3D;
  for (let i = links.length - 1; i >= 0; i--) {
    const link = links[i];
    if (link.kind === 'affine') {
      g = applyKernelT(g, link.kernel());
    } else {
      g = tf.mul(g, tf.expandDims(slopes[--next], 1));
    }
  }
  return g;
}

/** Mean over the batch of ‖∂f(x)/∂x‖²_F for an MLP encoder f. */
export function contractivePenalty(encoder: LayersModel, x: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(squaredJacobianNorms(encoder, encodeWithSlopes(encoder, x).slopes)) as tf.Scalar);
}
