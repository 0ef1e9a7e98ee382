/**
 * A trained run as a set of operations on rows: encode, decode, reconstruct,
 * sample, score, impute, denoise, search, interpolate. Each takes the parsed
 * body of its route and answers plain JSON values. Rows become a Dataset, so
 * every operation goes through the same functions the CLI's jobs use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createScorer } from '../apps/detect/scores.js';
import type { DetectorFile } from '../apps/detect/detector.js';
import { imputeIteratively } from '../apps/impute/iterate.js';
import { interpolateExamples } from '../apps/interpolate/interpolate.js';
import { hitsOf, queryIndex, type SearchHit } from '../apps/search/search.js';
import type { SearchIndex } from '../apps/search/index-file.js';
import { applyScaler, inverseScaler } from '../data/csv/scaler.js';
import type { TableSchema } from '../data/csv/schema.js';
import type { Dataset } from '../data/types.js';
import { FieldError, UsageError } from '../errors.js';
import { decodeCodes, encodeCodes } from '../models/inference.js';
import type { Autoencoder } from '../models/types.js';
import type { RunConfig } from '../run/config.js';
import { sampleImages } from '../viz/figures/images.js';
import type { DecodeBody, ImputeBody, InputRow, InterpolateBody, RowsBody, SampleBody, SearchBody } from './bodies.js';
import { floatPixels } from '../data/pixels.js';

/** Rows checked and in the model's units: [n, features] row-major. */
export interface Rows {
  x: Float32Array;
  n: number;
  /** 1 where a value was null or left out (only impute accepts those). */
  missing: Uint8Array;
  labels?: Int32Array;
}

/** What a client needs to know to call a model. */
export interface ModelInfo {
  name: string;
  model: string;
  inputShape: [number, number, number];
  features: number;
  latent: number;
  /** Feature column names of table models, in order. */
  columns?: string[];
  numClasses: number;
  conditional: boolean;
  supports: { sample: boolean; score: boolean; search: boolean };
  threshold?: number;
}

export interface ScoreAnswer {
  scores: number[];
  is_anomaly: boolean[];
  threshold: number;
}

const rowsOf = (flat: ArrayLike<number>, n: number, width: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: width }, (_, j) => flat[i * width + j]!));

export class ModelService {
  readonly features: number;
  private readonly table?: TableSchema;

  constructor(
    readonly name: string,
    readonly model: Autoencoder,
    readonly config: RunConfig,
    readonly detector?: DetectorFile,
    readonly index?: SearchIndex,
  ) {
    this.features = model.config.inputShape.reduce((a, b) => a * b, 1);
    this.table = config.data.table;
  }

  info(): ModelInfo {
    const c = this.model.config;
    return {
      name: this.name,
      model: c.model,
      inputShape: c.inputShape,
      features: this.features,
      latent: c.latent,
      ...(this.table ? { columns: this.table.columns } : {}),
      numClasses: c.numClasses,
      conditional: this.model.conditional,
      supports: { sample: this.model.generative, score: this.detector !== undefined, search: this.index !== undefined },
      ...(this.detector ? { threshold: this.detector.threshold } : {}),
    };
  }

  /** Check and convert rows: widths, ranges, labels; tables scaled with the run's scaler. */
  rows(inputs: InputRow[], labels: number[] | undefined, allowMissing = false, field = 'inputs'): Rows {
    const n = inputs.length;
    const d = this.features;
    const raw = new Float64Array(n * d);
    inputs.forEach((row, i) => this.readRow(row, raw.subarray(i * d, (i + 1) * d), `${field}[${i}]`, allowMissing));
    const x = new Float32Array(n * d);
    const missing = new Uint8Array(n * d);
    if (this.table) applyScaler(this.table.scaler, raw, x, missing);
    else for (let i = 0; i < raw.length; i++) (missing[i] = Number.isNaN(raw[i]!) ? 1 : 0), (x[i] = missing[i] ? 0 : raw[i]!);
    return { x, n, missing, labels: this.labels(labels, n) };
  }

  private readRow(row: InputRow, out: Float64Array, field: string, allowMissing: boolean): void {
    const d = this.features;
    let values: (number | null | undefined)[];
    if (Array.isArray(row)) {
      if (row.length !== d) throw new FieldError(field, `has ${row.length} values; the model takes ${d}${this.table ? ` (columns ${this.table.columns.join(', ')})` : ''}`);
      values = row;
    } else {
      if (!this.table) throw new FieldError(field, 'must be a list of numbers: named columns are for models trained on tables');
      const unknown = Object.keys(row).find((k) => !this.table!.columns.includes(k));
      if (unknown !== undefined) throw new FieldError(`${field}.${unknown}`, `is not a feature column of this model (columns: ${this.table.columns.join(', ')})`);
      values = this.table.columns.map((c) => row[c]);
    }
    values.forEach((v, j) => {
      if (v === null || v === undefined) {
        if (!allowMissing) throw new FieldError(`${field}[${j}]`, 'is missing; only impute takes missing values');
        out[j] = NaN;
      } else if (!this.table && (v < 0 || v > 1)) {
        throw new FieldError(`${field}[${j}]`, `must be a pixel value in [0, 1], got ${v}`);
      } else out[j] = v;
    });
  }

  private labels(labels: number[] | undefined, n: number, field = 'labels'): Int32Array | undefined {
    if (!this.model.conditional) {
      if (labels !== undefined) throw new FieldError(field, `is only for conditional models; '${this.model.config.model}' takes no labels`);
      return undefined;
    }
    if (labels === undefined) throw new FieldError(field, `is required: model '${this.model.config.model}' is conditional`);
    if (labels.length !== n) throw new FieldError(field, `has ${labels.length} entries for ${n} rows`);
    const bad = labels.findIndex((l) => l >= this.model.config.numClasses);
    if (bad >= 0) throw new FieldError(`${field}[${bad}]`, `must be a class below ${this.model.config.numClasses}, got ${labels[bad]}`);
    return Int32Array.from(labels);
  }

  /** Rows as a Dataset, so the dataset functions of the applications apply. */
  dataset(rows: Rows): Dataset {
    const ds: Dataset = { name: this.name, split: 'test', n: rows.n, shape: this.model.config.inputShape, pixels: floatPixels(rows.x), labels: rows.labels ?? new Int32Array(rows.n), numClasses: this.model.config.numClasses };
    if (this.table) ds.table = { columns: this.table.columns, missing: rows.missing, scaler: this.table.scaler };
    return ds;
  }

  /** Model units back to what the client sent: file units for tables, pixels otherwise. */
  private outputs(flat: Float32Array, n: number): number[][] {
    return rowsOf(this.table ? inverseScaler(this.table.scaler, flat) : flat, n, this.features);
  }

  // The raw operations on checked rows, which the server's batcher calls with many requests' rows at once.

  encodeRows(rows: Rows): Float32Array {
    return encodeCodes(this.model, this.dataset(rows));
  }

  reconstructRows(rows: Rows): Float32Array {
    const codes = this.encodeRows(rows);
    return decodeCodes(this.model, codes, rows.n, rows.labels);
  }

  /** Reconstruction-error scores, which do not depend on the other rows of a batch. */
  reconScores(rows: Rows): Float32Array {
    return Float32Array.from(this.scoreWith(rows));
  }

  // The routes' operations.

  encode(body: RowsBody): { codes: number[][] } {
    const rows = this.rows(body.inputs, body.labels);
    return { codes: rowsOf(this.encodeRows(rows), rows.n, this.model.config.latent) };
  }

  decode(body: DecodeBody): { outputs: number[][] } {
    const d = this.model.config.latent;
    const n = body.codes.length;
    const codes = new Float32Array(n * d);
    body.codes.forEach((z, i) => {
      if (z.length !== d) throw new FieldError(`codes[${i}]`, `has ${z.length} values; the latent size is ${d}`);
      codes.set(z, i * d);
    });
    return { outputs: this.outputs(decodeCodes(this.model, codes, n, this.labels(body.labels, n)), n) };
  }

  reconstruct(body: RowsBody): { outputs: number[][] } {
    const rows = this.rows(body.inputs, body.labels);
    return { outputs: this.outputs(this.reconstructRows(rows), rows.n) };
  }

  /** A denoising model's cleaned rows: its reconstruction of the noisy input. */
  denoise(body: RowsBody): { outputs: number[][] } {
    return this.reconstruct(body);
  }

  sample(body: SampleBody): { outputs: number[][] } {
    if (!this.model.generative) throw new FieldError('model', `'${this.model.config.model}' is not generative; sampling needs a VAE-family model`);
    if (body.label !== undefined && body.label >= this.model.config.numClasses) throw new FieldError('label', `must be a class below ${this.model.config.numClasses}, got ${body.label}`);
    return { outputs: this.outputs(sampleImages(this.model, body), body.n) };
  }

  score(body: RowsBody): ScoreAnswer {
    this.requireDetector();
    const rows = this.rows(body.inputs, body.labels);
    return this.scoreAnswer(this.scoreWith(rows));
  }

  scoreAnswer(scores: ArrayLike<number>): ScoreAnswer {
    const threshold = this.requireDetector().threshold;
    const list = Array.from(scores);
    return { scores: list, is_anomaly: list.map((s) => s > threshold), threshold };
  }

  /** Whether scores of a row depend on nothing but the row (reconstruction error), so requests may share a batch. */
  get batchableScores(): boolean {
    const kind = this.detector?.score.kind;
    return kind === 'recon' || kind === 'recon-code';
  }

  private scoreWith(rows: Rows): Float64Array {
    const detector = this.requireDetector();
    // A fresh scorer per call: the bounds' z draws restart from the detector's seed, as in `detect score`.
    const scorer = createScorer(this.model, detector.score);
    const x = tf.tensor2d(rows.x, [rows.n, this.features]); // [n, h·w·c]
    const labels = rows.labels ? tf.tensor1d(rows.labels, 'int32') : undefined;
    try {
      return scorer({ x, labels });
    } finally {
      tf.dispose([x, ...(labels ? [labels] : [])]);
    }
  }

  private requireDetector(): DetectorFile {
    if (!this.detector) throw new UsageError(`model ${this.name} has no detector; calibrate one with latentkit detect fit --run RUN`);
    return this.detector;
  }

  impute(body: ImputeBody): { outputs: number[][]; iterations: number; converged: boolean } {
    const rows = this.rows(body.inputs, body.labels, true);
    const means = this.startingMeans(rows);
    const result = imputeIteratively(this.model, rows.x, rows.missing, means, { maxIter: body.maxIter, tol: body.tol, labels: rows.labels });
    return { outputs: this.outputs(result.filled, rows.n), iterations: result.iterations, converged: result.converged };
  }

  /** Where filling starts: the training means for tables; for images the mean of the observed pixels of the request. */
  private startingMeans(rows: Rows): Float32Array {
    const d = this.features;
    if (this.table) return Float32Array.from(this.table.scaler.mean, (m, j) => (m - this.table!.scaler.offset[j]!) / this.table!.scaler.scale[j]!);
    let sum = 0;
    let count = 0;
    for (let i = 0; i < rows.x.length; i++) if (!rows.missing[i]) (sum += rows.x[i]!), count++;
    return new Float32Array(d).fill(count > 0 ? sum / count : 0);
  }

  search(body: SearchBody): { neighbors: SearchHit[][] } {
    if (!this.index) throw new UsageError(`model ${this.name} has no search index; build one with latentkit search index --run RUN`);
    const index = this.index;
    const rows = this.rows(body.inputs, undefined);
    const codes = this.encodeRows(rows);
    const d = this.model.config.latent;
    const k = Math.min(body.k, index.n);
    const neighbors = Array.from({ length: rows.n }, (_, i) => {
      const hits = queryIndex(index, codes.subarray(i * d, (i + 1) * d), k);
      return hitsOf(index, hits);
    });
    return { neighbors };
  }

  interpolate(body: InterpolateBody): { outputs: number[][]; codes: number[][] } {
    const rows = this.rows(body.inputs, body.labels);
    const result = interpolateExamples(this.model, this.dataset(rows), { from: 0, to: 1, steps: body.steps, path: body.path });
    return { outputs: this.outputs(result.images, body.steps), codes: rowsOf(result.codes, body.steps, this.model.config.latent) };
  }

  /** Split a batched result of `rows` of many requests back into each one's part. */
  static split(flat: Float32Array, counts: readonly number[], width: number): Float32Array[] {
    let offset = 0;
    return counts.map((n) => flat.subarray((offset += n * width) - n * width, offset));
  }

  /** Rows of several requests as one batch. */
  static concat(parts: readonly Rows[], width: number): Rows {
    const n = parts.reduce((s, p) => s + p.n, 0);
    const x = new Float32Array(n * width);
    const missing = new Uint8Array(n * width);
    const labels = parts[0]?.labels ? new Int32Array(n) : undefined;
    let at = 0;
    for (const p of parts) {
      x.set(p.x, at * width);
      missing.set(p.missing, at * width);
      if (labels && p.labels) labels.set(p.labels, at);
      at += p.n;
    }
    return { x, n, missing, labels };
  }

  outputsOf(flat: Float32Array, n: number): number[][] {
    return this.outputs(flat, n);
  }

  codesOf(flat: Float32Array, n: number): number[][] {
    return rowsOf(flat, n, this.model.config.latent);
  }
}
