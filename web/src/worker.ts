/**
 * The lab's Web Worker: it owns the backend, the data and the model, trains
 * with latentkit's own training job, and answers the page's questions
 * (decode this point, encode this drawing). The page never blocks on a step.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  FieldError,
  MemoryRunStore,
  Rng,
  adam,
  getModelDefinition,
  detect,
  edit,
  encodeCodes,
  decodeCodes,
  examplePixels,
  figures,
  gatherRows,
  initBackend,
  interpolate,
  loadDataset,
  loadStoredRun,
  localEngine,
  metrics,
  projectTo2d,
  search,
  takeFirst,
  trainJob,
  type Autoencoder,
  type Dataset,
  type EngineFactory,
  type RunConfig,
  type StepEngine,
} from 'latentkit/browser';
import { installPageBackends, pageProducts, productThreads } from './backend';
import { registerPageDatasets, registerUpload } from './data';
import { formFields } from './form';
import type { EpochView, FromWorker, ToWorker } from './protocol';

const post = (message: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

/**
 * For scripts driving the lab and for the console in this worker's context: TensorFlow.js and
 * the library as the worker has them, and the shared products (their helper-panel count).
 */
Object.assign(self, { latentkitWorker: { tf, initBackend, getModelDefinition, Rng, adam, loadDataset, gatherRows, products: pageProducts } });

/** Test examples on the map and behind hovering. */
const MAP_POINTS = 10_000;
const PREVIEW = 16;

interface Loaded {
  model: Autoencoder;
  config: RunConfig;
  store: MemoryRunStore;
  testSet: Dataset;
  /** 2-D map positions of the test codes, and the projection that made them. */
  codes: Float32Array;
  project: (z: Float32Array, n: number) => Float32Array;
  unproject: (p: [number, number]) => Float32Array;
  /** Reconstruction scores of the test examples (computed when first needed). */
  testScores?: Float64Array;
  /** With a UMAP map: its points and the test example of each (UMAP has no inverse, so a click decodes the nearest point's code). */
  umap?: { points: Float32Array; rows: Int32Array };
}

let current: Loaded | undefined;
let controller: AbortController | undefined;
let resumeGate: (() => void) | undefined;
let paused: Promise<void> | undefined;

/** Steps wait here while the page has paused training. */
class PausableEngine implements StepEngine {
  constructor(private readonly inner: StepEngine) {}
  get batch() {
    return this.inner.batch;
  }
  get workers() {
    return this.inner.workers;
  }
  get names() {
    return this.inner.names;
  }
  async step(...args: Parameters<StepEngine['step']>) {
    if (paused) await paused;
    return this.inner.step(...args);
  }
  close() {
    return this.inner.close();
  }
}

/** Map coordinates: the codes themselves in 2-D, else their first two principal components. */
function projection(codes: Float32Array, n: number, latent: number): Pick<Loaded, 'project' | 'unproject'> {
  if (latent === 2) return { project: (z) => z, unproject: (p) => Float32Array.from(p) };
  const pca = metrics.fitPca(codes, n, latent, 2);
  return {
    project: (z, m) => Float32Array.from(pca.project(z, m)),
    // A point of the map back in latent space: the mean plus the point along the two components.
    unproject: ([a, b]) => Float32Array.from(pca.mean, (mu, j) => mu + a * pca.components[j]! + b * pca.components[latent + j]!),
  };
}

function epochView(model: Autoencoder, testSet: Dataset, metricsRow: Record<string, number>): { view: EpochView; loaded: Pick<Loaded, 'codes' | 'project' | 'unproject'> } {
  const n = Math.min(MAP_POINTS, testSet.n);
  const shown = takeFirst(testSet, n);
  const latent = model.config.latent;
  const codes = encodeCodes(model, shown);
  const proj = projection(codes, n, latent);
  const { originals, recons } = figures.reconstructImages(model, shown, PREVIEW);
  const view: EpochView = {
    metrics: metricsRow,
    samples: model.generative ? figures.sampleImages(model, { n: 64, seed: 1 }) : undefined,
    originals,
    recons,
    map: proj.project(codes, n),
    labels: Int32Array.from(shown.labels),
    numClasses: testSet.numClasses,
  };
  if (latent === 2) {
    const grid = 12;
    const gaussian = model.generative ? undefined : figures.fitCodeGaussian(model, shown);
    view.manifold = { images: decodeCodes(model, figures.manifoldCodes(grid, gaussian), grid * grid), grid, range: [-2, 2] };
  }
  return { view, loaded: { codes, ...proj } };
}

function sendEpoch(view: EpochView) {
  const buffers = [view.originals, view.recons, view.map, view.labels, view.samples, view.manifold?.images].filter((b): b is Float32Array => b !== undefined).map((b) => b.buffer as ArrayBuffer);
  post({ type: 'epoch', view }, [...new Set(buffers)]);
}

async function train(request: Record<string, unknown>) {
  controller = new AbortController();
  paused = undefined;
  let model: Autoencoder | undefined;
  const engine: EngineFactory = async (req) => {
    model = req.model;
    const c = req.model.config;
    post({ type: 'info', shape: c.inputShape, latent: c.latent, model: c.model, generative: req.model.generative, trainExamples: 0, testExamples: testSet.n, epochs: Number(request.epochs ?? 0) });
    return new PausableEngine(await localEngine(req));
  };
  post({ type: 'status', status: 'loading', detail: `loading ${String(request.dataset)}` });
  const testSet = await loadDataset(String(request.dataset ?? 'sprites'), { split: 'test', limit: MAP_POINTS });
  let lastProgress = 0;
  post({ type: 'status', status: 'training' });
  const result = await trainJob(request, {
    engine,
    signal: controller.signal,
    testLimit: 1000,
    onStep: (p) => {
      const now = performance.now();
      if (now - lastProgress < 200) return;
      lastProgress = now;
      post({ type: 'progress', epoch: p.epoch, step: p.step, steps: p.steps, loss: p.loss, imagesPerSecond: p.samplesPerSecond });
    },
    onEpoch: (row) => {
      const { view } = epochView(model!, testSet, row);
      sendEpoch(view);
    },
  });
  current?.model.dispose();
  const { loaded } = epochView(result.model, testSet, {});
  current = { model: result.model, config: result.config, store: result.store as MemoryRunStore, testSet, ...loaded };
  infoOf(current);
  post({ type: 'status', status: 'done', detail: result.interrupted ? `stopped after ${result.epochsCompleted} epochs` : `${result.epochsCompleted} epochs` });
}

async function loadRun(name: string, files: [string, Uint8Array][]) {
  const store = new MemoryRunStore(name, files);
  const { model, config } = await loadStoredRun(store);
  post({ type: 'status', status: 'loading', detail: `loading ${config.data.dataset} for ${name}` });
  const testSet = await loadDataset(config.data.dataset, { split: 'test', limit: MAP_POINTS });
  current?.model.dispose();
  const { view, loaded } = epochView(model, testSet, {});
  current = { model, config, store, testSet, ...loaded };
  infoOf(current);
  sendEpoch(view);
  post({ type: 'status', status: 'done', detail: `loaded ${name}` });
}

function infoOf(loaded: Loaded) {
  const c = loaded.model.config;
  post({ type: 'info', shape: c.inputShape, latent: c.latent, model: c.model, generative: loaded.model.generative, trainExamples: loaded.config.data.trainExamples, testExamples: loaded.testSet.n, epochs: loaded.config.training.epochs });
}

function need(): Loaded {
  if (!current) throw new Error('no model yet: train one or load a run');
  return current;
}

function answerOf(message: Extract<ToWorker, { id: number }>): Extract<FromWorker, { type: 'answer' }> {
  const { model, testSet, codes } = need();
  const latent = model.config.latent;
  switch (message.type) {
    case 'decode': {
      const umap = need().umap;
      const z = message.raw ? Float32Array.from(message.z) : umap ? codeNearest(umap, codes, latent, message.z as [number, number]) : need().unproject(message.z as [number, number]);
      if (z.length !== latent) throw new FieldError('z', `has ${z.length} values; the latent size is ${latent}`);
      return { type: 'answer', id: message.id, images: decodeCodes(model, z, 1) };
    }
    case 'encode': {
      const z = search.encodeOne(model, message.pixels);
      const recon = decodeCodes(model, z, 1);
      const point = need().project(z, 1);
      const n = codes.length / latent;
      const hits = searchNearest(codes, n, latent, z);
      const settings = detect.resolveScoreSettings(model, { kind: 'recon' });
      const x = tf.tensor2d(message.pixels, [1, message.pixels.length]);
      const score = detect.createScorer(model, settings)({ x })[0]!;
      x.dispose();
      // Where the drawing falls among the test examples' scores: the share that score lower.
      const testScores = (need().testScores ??= detect.scoreDataset(model, testSet, settings));
      const below = testScores.filter((s) => s < score).length / testScores.length;
      const neighborImages = gatherRows(testSet, hits);
      return { type: 'answer', id: message.id, images: recon, point: [point[0]!, point[1]!], codes: Array.from(z), neighbors: hits, neighborImages, score, threshold: below };
    }
    case 'example': {
      // A test example above its reconstruction (a UMAP map shows a subset: its point i is row rows[i]).
      const dim = model.config.inputShape.reduce((a, b) => a * b, 1);
      const row = need().umap?.rows[message.index] ?? message.index;
      const x = examplePixels(testSet, row);
      const recon = decodeCodes(model, search.encodeOne(model, x), 1);
      const both = new Float32Array(2 * dim);
      both.set(x);
      both.set(recon, dim);
      return { type: 'answer', id: message.id, images: both };
    }
    case 'projection': {
      const n = codes.length / latent;
      const loaded = need();
      if (message.method === 'pca') {
        loaded.umap = undefined;
        return { type: 'answer', id: message.id, points: loaded.project(codes, n), labels: Int32Array.from(testSet.labels.subarray(0, n)), method: latent === 2 ? 'the 2-D codes' : 'PCA of the codes' };
      }
      const projected = projectTo2d(codes, n, latent, { method: 'umap', seed: 0 });
      loaded.umap = { points: projected.points, rows: projected.rows };
      return { type: 'answer', id: message.id, points: projected.points, labels: Int32Array.from(projected.rows, (r) => testSet.labels[r]!), method: projected.method };
    }
    case 'interpolate': {
      const result = interpolate.interpolateExamples(model, testSet, { from: message.from, to: message.to, steps: message.steps, path: message.path });
      return { type: 'answer', id: message.id, images: result.images };
    }
    case 'attribute': {
      // v = mean code of the label minus the mean code of the rest, as `latentkit edit --attribute label:L`.
      const n = codes.length / latent;
      const mask = Int8Array.from({ length: n }, (_, i) => (testSet.labels[i] === message.label ? 1 : 0));
      const vector = edit.attributeVector(codes, latent, mask);
      const z = codes.subarray(message.example * latent, (message.example + 1) * latent);
      const shifted = edit.shiftCodes(z, latent, vector.vector, [message.alpha]);
      return { type: 'answer', id: message.id, images: decodeCodes(model, shifted, 1) };
    }
    case 'samples':
      return { type: 'answer', id: message.id, images: figures.sampleImages(model, { n: 64, seed: 1, temperature: message.temperature }) };
    case 'export':
      return { type: 'answer', id: message.id, files: [...need().store.files.entries()] };
  }
}

/** The code of the map point nearest to `p`. */
function codeNearest(umap: NonNullable<Loaded['umap']>, codes: Float32Array, latent: number, [x, y]: [number, number]): Float32Array {
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < umap.rows.length; i++) {
    const d = (umap.points[2 * i]! - x) ** 2 + (umap.points[2 * i + 1]! - y) ** 2;
    if (d < bestD) (bestD = d), (best = i);
  }
  const row = umap.rows[best]!;
  return codes.slice(row * latent, (row + 1) * latent);
}

function searchNearest(codes: Float32Array, n: number, latent: number, z: Float32Array): number[] {
  const hits = search.nearest(codes, n, latent, z, 5, { metric: 'euclidean' });
  return Array.from(hits.indices);
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    switch (message.type) {
      case 'init': {
        installPageBackends(message.base, message.threads);
        registerPageDatasets(message.dataUrl);
        post({ type: 'form', ...formFields() });
        const name = await initBackend(message.backend);
        post({ type: 'backend', name, threads: name === 'wasm' ? productThreads() : 1 });
        post({ type: 'status', status: 'ready' });
        return;
      }
      case 'train':
        return await train(message.request);
      case 'pause':
        paused ??= new Promise((resolve) => (resumeGate = resolve));
        post({ type: 'status', status: 'paused' });
        return;
      case 'resume':
        resumeGate?.();
        paused = undefined;
        post({ type: 'status', status: 'training' });
        return;
      case 'stop':
        resumeGate?.();
        paused = undefined;
        controller?.abort();
        post({ type: 'status', status: 'stopping' });
        return;
      case 'load-run':
        return await loadRun(message.name, message.files);
      case 'upload':
        post({ type: 'dataset', ...registerUpload(message.upload) });
        return;
      default: {
        const answer = answerOf(message);
        const transfer = answer.images ? [answer.images.buffer as ArrayBuffer] : [];
        post(answer, transfer);
      }
    }
  } catch (err) {
    post({ type: 'error', message: (err as Error).message, field: err instanceof FieldError ? err.field : undefined });
    // A question still gets its (empty) answer, so the page never waits forever.
    if ('id' in message) post({ type: 'answer', id: message.id });
  }
};
