/**
 * Adam with one kernel per variable per step (see
 * src/backend/kernels/AdamUpdate.ts) instead of tf.train.adam's dozen.
 *
 * It is a tf.AdamOptimizer: the same moments, under the same names
 * (`<variable>/m`, `<variable>/v`), the same getWeights/setWeights and the
 * same className, so checkpoints written by either load into the other. On a
 * backend without the fused kernel (e.g. tfjs-node) it runs TensorFlow.js's
 * own update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamUpdate, hasAdamUpdate } from '../../backend/kernels/AdamUpdate.js';

/** The AdamOptimizer fields TypeScript declares private; present at runtime. */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

type GradientList = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** A variable's gradient given as weighted parts, g = Σ weight·tensor (e.g. data-parallel shards). */
export interface GradientShares {
  name: string;
  parts: { tensor: tf.Tensor; weight: number }[];
}

export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: GradientList): void {
    if (!hasAdamUpdate()) {
      super.applyGradients(variableGradients);
      return;
    }
    const list: { name: string; tensor: tf.Tensor | null }[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    this.step(list.map(({ name, tensor }) => ({ name, parts: tensor == null ? [] : [{ tensor, weight: 1 }] })));
  }

  /**
   * One step whose gradients come in weighted parts. Two parts go into the
   * update kernel as they are (it sums them in the same pass); more are
   * summed first.
   */
  applyGradientShares(shares: GradientShares[]): void {
    if (hasAdamUpdate()) {
      this.step(shares);
      return;
    }
    const summed = shares.map(({ name, parts }) => ({ name, tensor: tf.tidy(() => tf.addN(parts.map((p) => tf.mul(p.tensor, p.weight)))) }));
    try {
      super.applyGradients(summed);
    } finally {
      tf.dispose(summed.map((s) => s.tensor));
    }
  }

  private step(shares: GradientShares[]): void {
    const self = this as unknown as AdamInternals;
    const attrs = { learningRate: self.learningRate, beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, step: this.iterations + 1 };
    tf.tidy(() => {
      shares.forEach(({ name, parts }, i) => {
        const value = tf.engine().registeredVariables[name];
        const [m, v] = this.moments(name, value, i);
        if (parts.length === 0) return;
        let update: [tf.Tensor, tf.Tensor, tf.Tensor];
        if (parts.length === 2) {
          update = adamUpdate(value, parts[0].tensor, m, v, { ...attrs, gradientWeights: [parts[0].weight, parts[1].weight] }, parts[1].tensor);
        } else {
          const g = parts.length === 1 && parts[0].weight === 1 ? parts[0].tensor : tf.addN(parts.map((p) => tf.mul(p.tensor, p.weight)));
          update = adamUpdate(value, g, m, v, attrs);
        }
        const [w1, m1, v1] = update;
        m.assign(m1);
        v.assign(v1);
        value.assign(w1);
      });
      // Keep the parent's running β powers in step, so a fallback step agrees.
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    this.incrementIterations();
  }

  /** The moment variables of variable `i`, created as zeros on first use (as the parent does). */
  private moments(name: string, value: tf.Variable, i: number): [tf.Variable, tf.Variable] {
    const self = this as unknown as AdamInternals;
    self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    return [self.accumulatedFirstMoment[i].variable, self.accumulatedSecondMoment[i].variable];
  }
}

/** Drop-in for tf.train.adam(learningRate, beta1, beta2, epsilon). */
export function adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon ?? undefined);
}
