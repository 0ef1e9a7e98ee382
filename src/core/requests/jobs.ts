/**
 * The requests of the jobs that use a trained run: what each takes, with
 * ranges and defaults. The CLI's flags, its help and docs/cli.md, the
 * service's request bodies and its OpenAPI document come from these.
 */
import { z } from 'zod';
import { checkedBy } from './validate.js';
import { applyDataFields } from './data.js';
import { count, described, engineFields, iwaeSamples, label, pathKind, run, seed, split } from './fields.js';
import { parseNoise } from '../models/dae/noise-spec.js';

export const BINARIZE_MODES = ['none', 'static', 'dynamic'] as const;
export const PROJECTIONS = ['pca', 'tsne', 'umap'] as const;
export const PLOT_KINDS = ['latent', 'pca-vs-ae', 'manifold', 'interpolate', 'curves', 'samples', 'reconstructions'] as const;
export const SCORE_KINDS = ['recon', 'recon-code', 'elbo', 'iwae'] as const;
/** The scores that are bounds on −log p(x): they need q(z|x) and draw K samples. */
export const BOUND_SCORES: readonly string[] = ['elbo', 'iwae'];
export const SEARCH_METRICS = ['euclidean', 'cosine'] as const;

const runFields = { run, ...engineFields };
const nImages = (fallback: number) => count({ description: 'number of examples or images' }, 10_000).default(fallback);

export const sampleRequest = z.strictObject({
  ...runFields,
  n: nImages(64),
  seed,
  label: label.optional(),
  temperature: described(z.number().gt(0).max(10).default(1), { arg: 'T', description: 'scale of the prior draws z ~ N(0, T²·I)' }),
});

export const reconstructRequest = z.strictObject({ ...runFields, ...applyDataFields, n: nImages(32) });

export const encodeRequest = z.strictObject({ ...runFields, ...applyDataFields });

export const evalRequest = z.strictObject({
  ...runFields,
  ...applyDataFields,
  iwae: iwaeSamples.optional(),
  binarize: described(z.enum(BINARIZE_MODES).default('none'), { arg: 'MODE', description: 'binarize pixels before evaluating' }),
  probe: described(z.boolean().default(false), { description: 'also fit linear-probe and k-NN classifiers on codes, beside a PCA baseline' }),
  seed,
});

const exampleIndex = (description: string, fallback: number) => described(z.int().min(0).default(fallback), { arg: 'I', description });
const interpolationFields = {
  from: exampleIndex('index of the first example', 0),
  to: exampleIndex('index of the second example', 1),
  steps: described(z.int().min(2).max(1000).default(10), { arg: 'N', description: 'codes on the path, both ends included' }),
  path: pathKind,
};

export const plotRequest = z.strictObject({
  ...runFields,
  ...applyDataFields,
  kind: described(z.enum(PLOT_KINDS), { arg: 'KIND', description: 'which picture' }),
  n: count({ description: 'samples/reconstructions: images; latent: most points drawn' }, 10_000).optional(),
  seed,
  label: label.optional(),
  colorBy: described(z.string().min(1), { arg: 'NAME', description: 'latent, pca-vs-ae: colour the points by this attribute (a factor, a celeba: attribute, an --attributes column) instead of the label; values other than 0/1 or small integers are split at their median' }).optional(),
  projection: described(z.enum(PROJECTIONS).default('pca'), { arg: 'METHOD', description: 'how codes larger than 2-D are projected' }),
  grid: described(z.int().min(1).max(100).default(20), { arg: 'N', description: 'manifold: N×N decoded points' }),
  ...interpolationFields,
});

export const reportRequest = z.strictObject({ ...runFields, ...applyDataFields, seed });

export const detectScoreFields = {
  score: described(z.enum(SCORE_KINDS).default('recon'), { arg: 'KIND', description: 'anomaly score: recon (reconstruction error), recon-code (plus the code\'s Mahalanobis distance under a Gaussian of the calibration codes, each standardized on the calibration rows), or elbo / iwae (−ELBO / −IWAE, VAE family)' }),
  iwae: described(iwaeSamples.optional(), { arg: 'K', description: 'importance samples of the elbo and iwae scores', defaultText: '64' }),
  seed,
};
export const thresholdFields = {
  contamination: described(z.number().min(0).lt(1), { arg: 'FRACTION', description: 'fraction of the calibration data expected to be anomalous; sets the threshold', defaultText: '0.01' }).optional(),
  quantile: described(z.number().gt(0).max(1), { arg: 'Q', description: 'threshold at this quantile of the calibration scores (e.g. 0.99)' }).optional(),
};

/** Calibrate a detector on a run's (normal) data; by default the data it was trained on. */
export const detectFitRequest = z.strictObject({ ...runFields, ...applyDataFields, split: split.default('train'), ...detectScoreFields, ...thresholdFields });

export const detectScoreRequest = z.strictObject({
  ...runFields,
  ...applyDataFields,
  score: detectScoreFields.score.optional(),
  iwae: detectScoreFields.iwae,
  anomalyLabel: described(z.string().min(1), { arg: 'LIST', description: 'labels (or a 0/1 column name for csv) that mark true anomalies, for ROC-AUC and PR-AUC' }).optional(),
});

export const denoiseRequest = z.strictObject({
  ...runFields,
  ...applyDataFields,
  corrupt: described(z.string().min(1).superRefine(checkedBy(parseNoise)), { arg: 'NOISE', description: 'add noise first: gaussian:SIGMA, mask:FRACTION or salt-pepper:FRACTION' }).optional(),
  n: nImages(8),
  seed,
});

export const imputeRequest = z.strictObject({
  ...runFields,
  ...applyDataFields,
  mask: described(z.string().min(1), { arg: 'FRACTION|FILE', description: 'hide this fraction of entries at random, or the pixels that are white in a mask image' }).optional(),
  maxIter: count({ description: 'most encode-decode rounds' }, 100_000).default(50),
  tol: described(z.number().min(0).max(1e6).default(1e-4), { arg: 'X', description: 'stop when the largest change of a filled entry is below X' }),
  n: nImages(8),
  seed,
});

const metric = described(z.enum(SEARCH_METRICS).default('euclidean'), { arg: 'NAME', description: 'distance between codes' });
const neighbors = count({ arg: 'K', description: 'neighbours to return' }, 10_000).default(10);

export const searchIndexRequest = z.strictObject({ ...runFields, ...applyDataFields, metric });
export const searchQueryRequest = z.strictObject({
  ...runFields,
  ...applyDataFields,
  query: described(z.string().min(1), { arg: 'I|FILE', description: 'example numbers of the dataset (3 or 3,14), an image file, or a CSV file of rows' }),
  neighbors,
  metric: metric.unwrap().optional(),
});
export const searchEvaluateRequest = z.strictObject({ ...runFields, ...applyDataFields, neighbors, metric });

export const compressRequest = z.strictObject({ ...runFields, ...applyDataFields, bits: described(z.int().min(1).max(16).default(8), { arg: 'B', description: 'bits per code dimension' }) });

export const decompressRequest = z.strictObject({ ...runFields, input: described(z.string().min(1), { arg: 'FILE', description: 'the .lkz file to decode' }) });

export const editRequest = z.strictObject({
  ...runFields,
  ...applyDataFields,
  attribute: described(z.string().min(1), {
    arg: 'SPEC',
    description: 'label:L, factor:NAME (sprites), column:NAME (csv), or an attribute NAME (celeba:, an --attributes table); the vector is mean(z | attribute) − mean(z | not); A,B adds the vectors of both',
  }),
  alpha: described(z.array(z.number().min(-1e6).max(1e6)).min(1).max(100).default([-2, -1, 0, 1, 2]), { arg: 'LIST', description: 'multiples of the attribute vector to add, one picture row each' }),
  n: nImages(8),
});

export const interpolateRequest = z.strictObject({ ...runFields, ...applyDataFields, ...interpolationFields });

export type SampleRequest = z.output<typeof sampleRequest>;
export type ReconstructRequest = z.output<typeof reconstructRequest>;
export type EncodeRequest = z.output<typeof encodeRequest>;
export type EvalRequest = z.output<typeof evalRequest>;
export type PlotRequest = z.output<typeof plotRequest>;
export type ReportRequest = z.output<typeof reportRequest>;
export type DetectFitRequest = z.output<typeof detectFitRequest>;
export type DetectScoreRequest = z.output<typeof detectScoreRequest>;
export type DenoiseRequest = z.output<typeof denoiseRequest>;
export type ImputeRequest = z.output<typeof imputeRequest>;
export type SearchIndexRequest = z.output<typeof searchIndexRequest>;
export type SearchQueryRequest = z.output<typeof searchQueryRequest>;
export type SearchEvaluateRequest = z.output<typeof searchEvaluateRequest>;
export type CompressRequest = z.output<typeof compressRequest>;
export type DecompressRequest = z.output<typeof decompressRequest>;
export type EditRequest = z.output<typeof editRequest>;
export type InterpolateRequest = z.output<typeof interpolateRequest>;
