/**
 * Everything `latentkit eval` reports about a model on a split: its own loss
 * terms, IWAE log-likelihood, active units, reconstruction quality, the
 * representation probes beside a PCA baseline of the same size, and the
 * disentanglement scores when the data has known factors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readInto } from '../backend/wasm/read.js';
import { forEachRowBatch } from '../data/batches.js';
import { featureSize, type Dataset } from '../data/types.js';
import type { Autoencoder } from '../models/types.js';
import { evaluateLoss } from './loss.js';
import { iwaeLogLikelihood, type IwaeResult } from './iwae.js';
import { activeUnits } from './metrics/activeUnits.js';
import { DISENTANGLEMENT_MIN_EXAMPLES, disentanglementScores } from './metrics/disentanglement.js';
import { ErrorSums } from './metrics/image.js';
import { encodeCodes } from '../models/inference.js';
import { datasetPcaCodes, fitDatasetPca } from './pixel-pca.js';
import { knnAccuracy, logisticRegressionAccuracy } from './metrics/probes.js';

export interface ProbeScores {
  /** Accuracy of multinomial logistic regression trained on training-set codes. */
  logistic: number;
  /** Accuracy of 5-nearest neighbours on training-set codes. */
  knn: number;
}

export interface Evaluation {
  examples: number;
  loss: number;
  terms: Record<string, number>;
  /** Latent dimensions whose Cov_x(E_q[z]) exceeds 0.01. */
  activeUnits: number;
  /** Mean squared error per pixel of decode(encode(x)) against x. */
  mse: number;
  /** Mean per-image PSNR (dB) and SSIM of the reconstructions; absent for tables (scaled values are not pixels). */
  psnr?: number;
  ssim?: number;
  iwae?: { samples: number; logLikelihood: number; elbo: number };
  probe?: { model: ProbeScores; pca: ProbeScores & { mse: number } };
  /** MIG, SAP and DCI against the data's factors; absent without factors, below 10 examples or with a 1-D code. */
  disentanglement?: Disentanglement;
}

/** Disentanglement scores of a code (see metrics/disentanglement.ts for the exact definitions). */
export interface Disentanglement {
  /** Examples scored: the first min(n, 10,000); the first two thirds of them fit SAP's and DCI's predictors. */
  examples: number;
  /** Factor names, the order of every per-factor list. */
  factors: string[];
  mig: number;
  sap: number;
  dci: { disentanglement: number; completeness: number; informativeness: number };
  perFactor: { mig: number[]; sap: number[]; completeness: number[]; accuracy: number[] };
}

/**
 * Codes E[z|x] of every example (kept: n × latent is small) and the
 * reconstruction error of decode(E[z|x]), measured batch by batch so no
 * whole-split copy of the images or of their reconstructions is made.
 */
export function codesAndErrors(model: Autoencoder, ds: Dataset, errors: ErrorSums, batchSize = 500): Float32Array {
  const latent = model.config.latent;
  const dim = featureSize(ds);
  const codes = new Float32Array(ds.n * latent);
  const recons = new Float32Array(Math.min(batchSize, ds.n) * dim);
  forEachRowBatch(ds, batchSize, (x, labels, start, end) => {
    const b = end - start;
    tf.tidy(() => {
      const y = tf.tensor1d(labels, 'int32');
      const z = model.encode({ x: tf.tensor2d(x, [b, dim]), labels: y });
      readInto(z, codes, start * latent);
      readInto(model.decode(z, y), recons);
    });
    errors.add(recons.subarray(0, b * dim), x);
  });
  return codes;
}

function probeScores(trainX: Float32Array, train: Dataset, testX: Float32Array, test: Dataset, dim: number): ProbeScores {
  const classes = Math.max(train.numClasses, test.numClasses);
  return {
    logistic: logisticRegressionAccuracy(trainX, train.labels, testX, test.labels, dim, classes),
    knn: knnAccuracy(trainX, train.labels, testX, test.labels, dim, 5),
  };
}

/**
 * The probes on the model's codes and on a PCA of the pixels with as many
 * components as the code has. PCA is fitted on the whole training split as
 * stored (bytes for images); both splits are projected a batch at a time.
 */
export function representationProbes(model: Autoencoder, train: Dataset, test: Dataset, testCodes: Float32Array, batchSize = 500): NonNullable<Evaluation['probe']> {
  const latent = model.config.latent;
  const trainCodes = encodeCodes(model, train, batchSize);
  const pca = fitDatasetPca(train, latent);
  const testErrors = new ErrorSums();
  const pcaTrain = datasetPcaCodes(pca, train, batchSize);
  const pcaTest = datasetPcaCodes(pca, test, batchSize, testErrors);
  return {
    model: probeScores(trainCodes, train, testCodes, test, latent),
    pca: { ...probeScores(pcaTrain, train, pcaTest, test, latent), mse: testErrors.mse },
  };
}

/** The scores of `codes` (n × latent) against `ds.factors`, or undefined when they do not apply. */
export function disentanglementOf(codes: Float32Array, ds: Dataset, latent: number): Disentanglement | undefined {
  const factors = ds.factors;
  if (!factors || ds.n < DISENTANGLEMENT_MIN_EXAMPLES || latent < 2) return undefined;
  const s = disentanglementScores(codes, factors.values, ds.n, latent, factors.names.length);
  return {
    examples: s.examples,
    factors: factors.names,
    mig: s.mig.mig,
    sap: s.sap.sap,
    dci: { disentanglement: s.dci.disentanglement, completeness: s.dci.completeness, informativeness: s.dci.informativeness },
    perFactor: { mig: s.mig.perFactor, sap: s.sap.perFactor, completeness: s.dci.completenessPerFactor, accuracy: s.dci.accuracy },
  };
}

export interface EvaluateOptions {
  seed?: number;
  /** IWAE samples per example; omit to skip. */
  iwae?: number;
  /** Training split for the probes; omit to skip them. */
  probeTrain?: Dataset;
  onIwaeProgress?: (done: number, total: number) => void;
}

export function evaluateModel(model: Autoencoder, ds: Dataset, options: EvaluateOptions = {}): Evaluation {
  const { loss, terms } = evaluateLoss(model, ds, { seed: options.seed });
  const errors = new ErrorSums(ds.table ? undefined : { shape: ds.shape, psnr: true, ssim: true });
  const codes = codesAndErrors(model, ds, errors);
  const result: Evaluation = {
    examples: ds.n,
    loss,
    terms,
    activeUnits: activeUnits(codes, ds.n, model.config.latent).count,
    mse: errors.mse,
  };
  if (!ds.table) {
    result.psnr = errors.psnr;
    result.ssim = errors.ssim;
  }
  if (options.iwae !== undefined) {
    const r: IwaeResult = iwaeLogLikelihood(model, ds, { samples: options.iwae, seed: options.seed, onProgress: options.onIwaeProgress });
    result.iwae = { samples: r.samples, logLikelihood: r.meanLogLikelihood, elbo: r.meanElbo };
  }
  if (options.probeTrain) result.probe = representationProbes(model, options.probeTrain, ds, codes);
  const disentanglement = disentanglementOf(codes, ds, model.config.latent);
  if (disentanglement) result.disentanglement = disentanglement;
  return result;
}
