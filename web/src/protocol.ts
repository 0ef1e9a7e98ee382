/** Messages between the page and the training worker. */

/** What the page asks of the worker. */
export type ToWorker =
  /** `threads`: for the products on wasm (default: every core, where the page is cross-origin isolated). */
  | { type: 'init'; backend: 'auto' | 'webgl' | 'wasm' | 'cpu'; dataUrl: string; base: string; threads?: number }
  | { type: 'train'; request: Record<string, unknown> }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'load-run'; name: string; files: [string, Uint8Array][] }
  /** The user's own data: a CSV table, IDX files, or images already decoded in the page. */
  | { type: 'upload'; upload: Upload }
  /** Decode a point of the map, or with `raw` a latent code itself. */
  | { type: 'decode'; id: number; z: number[]; raw?: boolean }
  | { type: 'example'; id: number; index: number }
  /** Redraw the map with another projection of the test codes. */
  | { type: 'projection'; id: number; method: 'pca' | 'umap' }
  | { type: 'encode'; id: number; pixels: Float32Array }
  | { type: 'interpolate'; id: number; from: number; to: number; path: 'line' | 'great-circle'; steps: number }
  | { type: 'attribute'; id: number; label: number; alpha: number; example: number }
  | { type: 'samples'; id: number; temperature: number }
  | { type: 'export'; id: number };

export type Upload =
  | { kind: 'csv'; name: string; text: string }
  | { kind: 'idx'; files: [string, Uint8Array][] }
  /**
   * pixels: [n, h·w·c] in [0, 1], split and labelled by the CLI's rule for image folders
   * (classNames empty: one class); `test` is 1 for a held-out image.
   */
  | { kind: 'images'; pixels: Float32Array; shape: [number, number, number]; labels: Int32Array; classNames: string[]; test: Uint8Array; splitFolders: boolean };

/** One epoch's pictures and map. Images are [n, h·w·c] in [0, 1]. */
export interface EpochView {
  metrics: Record<string, number>;
  samples?: Float32Array;
  /** First test examples, then their reconstructions. */
  originals: Float32Array;
  recons: Float32Array;
  /** The map: 2-D points of the test codes (the codes themselves for 2-D latents, else their PCA). */
  map: Float32Array;
  labels: Int32Array;
  numClasses: number;
  /** For the manifold of 2-D latents: the decoded grid, rows top to bottom. */
  manifold?: { images: Float32Array; grid: number; range: [number, number] };
}

/** One control of the training form, from the train request's JSON Schema. */
export interface FormField {
  key: string;
  type: 'number' | 'integer' | 'string' | 'boolean' | 'list' | 'enum';
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  choices?: string[];
  /** Models whose option this is (absent: every model). */
  models?: string[];
}

/** What the worker tells the page. */
export type FromWorker =
  /** The backend that runs, and on wasm the threads its matrix products are shared over. */
  | { type: 'backend'; name: string; threads: number }
  | { type: 'form'; fields: FormField[]; models: { name: string; summary: string }[]; datasets: string[] }
  | { type: 'dataset'; name: string; detail: string }
  | { type: 'status'; status: 'loading' | 'training' | 'paused' | 'stopping' | 'done' | 'ready'; detail?: string }
  | { type: 'info'; shape: [number, number, number]; latent: number; model: string; generative: boolean; trainExamples: number; testExamples: number; epochs: number }
  | { type: 'progress'; epoch: number; step: number; steps: number; loss: number; imagesPerSecond: number }
  | { type: 'epoch'; view: EpochView }
  | { type: 'error'; message: string; field?: string }
  | { type: 'answer'; id: number; images?: Float32Array; point?: [number, number]; codes?: number[]; neighbors?: number[]; neighborImages?: Float32Array; points?: Float32Array; labels?: Int32Array; method?: string; score?: number; threshold?: number; files?: [string, Uint8Array][] };
