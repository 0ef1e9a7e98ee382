/**
 * The conditional variational autoencoder (Sohn, Lee & Yan, 2015).
 *
 * A plain VAE gives no say over what it generates: a z ~ N(0, I) may decode to
 * any digit. The CVAE feeds the one-hot class label y to both networks,
 * q(z|x, y) and p(x|z, y), and maximizes the conditional ELBO
 *
 *   log p(x|y) ≥ E_q[log p(x|z, y)] − KL(q(z|x, y) ‖ N(0, I)),
 *
 * so z only has to carry what the label does not (style, slant, thickness)
 * and decoding (z, y) draws an example of the class we ask for.
 *
 * Everything else (reparameterization, likelihoods, β, warm-up, importance
 * weights) is the VAE's; this class only supplies the extra network input.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { UsageError } from '../../errors.js';
import type { Rng } from '../../random.js';
import { Vae } from '../vae/model.js';
import type { CvaeConfig } from './config.js';

/** The encoder and decoder of a CVAE; each takes a `condition` input beside x or z. */
export interface CvaeNetworks {
  encoder: LayersModel;
  decoder: LayersModel;
}

/** Width of a network's `condition` input, or 0 when it has none. */
function conditionWidth(net: LayersModel): number {
  const input = net.inputs.find((i) => i.name.startsWith('condition'));
  return input ? (input.shape[input.shape.length - 1] as number) : 0;
}

/** A VAE whose encoder and decoder also see the one-hot class label. */
export class Cvae extends Vae<CvaeConfig> {
  override readonly conditional = true;

  constructor(config: CvaeConfig, networks: CvaeNetworks) {
    super(config, networks);
    // Catches a run folder whose networks were not built for these classes
    // (e.g. a plain VAE's), which would otherwise fail deep inside tfjs.
    for (const [name, net] of Object.entries(networks)) {
      const width = conditionWidth(net);
      if (width !== config.numClasses) {
        throw new UsageError(`cvae ${name} takes a label input of width ${width}, but the config has ${config.numClasses} classes`);
      }
    }
  }

  /** Fresh networks: the VAE's, with a `condition` input of width numClasses on both. */
  static build(config: CvaeConfig, rng: Rng): CvaeNetworks {
    return Vae.create(config, rng, config.numClasses);
  }

  /**
   * The one-hot label y, [batch, numClasses], fed to both networks. A label
   * outside 0..numClasses−1 gives an all-zero row (tf.oneHot does not check,
   * and checking here would cost a GPU read per step), so callers validate
   * user-given labels, as `sample --label` does.
   */
  protected override conditions(labels?: tf.Tensor1D): tf.Tensor[] {
    if (!labels) {
      throw new UsageError("model 'cvae' needs class labels: it encodes q(z|x, y) and decodes p(x|z, y) (when sampling, pass --label)");
    }
    // oneHot wants int32 indices; labels that arrive as floats are whole numbers.
    // Cast the result rather than pass dtype 'float32': the wasm kernel (tfjs 4.22)
    // writes integer bits into the float buffer, so 1 reads back as 1.4e-45.
    const indices = tf.cast(labels, 'int32');
    return [tf.cast(tf.oneHot(indices, this.config.numClasses), 'float32')];
  }
}
