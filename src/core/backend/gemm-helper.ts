/**
 * The loop a matrix-product helper thread runs (see gemm-threads.ts), on
 * every platform: a Node worker thread evaluates its source text
 * (`helperSource`), a page's Web Worker imports it. The module must stay
 * self-contained (no imports; the functions use only each other, SLOT and
 * MODE), since Node runs it from `toString()`. The calling thread runs the
 * same `runUnit` for its share of a product.
 */

/** Int32 slots of the control block shared by the calling thread and its helpers. */
export const SLOT = {
  /** The number of the current product, bumped by the calling thread to start one. */
  Start: 0,
  /** Units the helpers finished in the current product (reset per product). */
  Finished: 1,
  /** Set by a helper that failed. */
  Failed: 2,
  // The product, in shared-memory byte offsets: packed A, B, C, bias (0: none).
  A: 3,
  B: 4,
  C: 5,
  Bias: 6,
  M: 7,
  N: 8,
  K: 9,
  Activation: 10,
  /** Float32 bits of the LeakyReLU slope. */
  Alpha: 11,
  /** Units of work in all (see Mode). */
  Units: 12,
  /** The next unit to take, as a ticket: (product number & 0x7fff) << 16 | unit. */
  Next: 13,
  /** 1 when A is compacted: the panels read step offsets at Idx and counts at Counts. */
  Sparse: 14,
  Idx: 15,
  Counts: 16,
  /** B as the panels read it: bytes from row to row and from one 8-column panel to the next. */
  Ldb: 17,
  BStep: 18,
  /** What a unit is: one of MODE. */
  Mode: 19,
  /** Rows of C per unit (by row blocks), or images per unit (convolutions). */
  PerUnit: 20,
  /** 1 when A is stored K×M (op(A) = Aᵀ). */
  TransA: 21,
  /** Thread i packs its rows of A at Blocks + i·BlockBytes ... */
  Blocks: 22,
  BlockBytes: 23,
  // Convolutions: A is the images x (forward) or dy's rows (input gradient), C the output
  // rows (forward) or the images dx; each image gives RowsPerImage rows of patches.
  Images: 24,
  RowsPerImage: 25,
  /** Bytes of one image of x (or dx). */
  ImageBytes: 26,
  /** ... and its patches (forward) or columns (input gradient) at Patches + i·PatchBytes. */
  Patches: 27,
  PatchBytes: 28,
  /** inH, inW, inC, outH, outW, fH, fW, sH, sW, padTop, padLeft: the 11 geometry values im2col and col2im take between nb and rowStride. */
  Geometry: 29,
  /** Filter gradient: unit u writes its K×N partial product at Partials + u·4·K·N. */
  Partials: 40,
  /**
   * By panels: 0, B is read as stored at B; 1, each unit packs its panel of
   * B (K×N at B) at BPanels + unit·32·K; 2, the same from B stored N×K.
   */
  PackB: 41,
  BPanels: 42,
  /**
   * Units whose operands are in the shared memory: a product whose units
   * each read only their own part of A and B has them copied in unit by
   * unit after it opens, and a unit waits here for its part.
   */
  Copied: 43,
  Size: 44,
} as const;

/**
 * What one unit of a product is: an 8-column panel of C (A packed once by
 * the calling thread), a block of rows of C (each thread packs its rows of
 * A), or, for a convolution, a group of images: their patches, packed, times
 * the filter (Forward), dy's rows for them times Wᵀ, scattered back into
 * their images of dx (InputGradient), or their patches transposed times
 * their rows of dy, a partial filter gradient the calling thread sums in
 * unit order (FilterGradient); or, for a binary cross-entropy with logits
 * (BceRows), a block of rows of targets (B), each scored against its
 * RowsPerImage rows of logits (A) into C, the Images target rows over N
 * columns of K per row (see simd_bce.ts).
 */
export const MODE = { Panels: 0, RowBlocks: 1, Forward: 2, InputGradient: 3, FilterGradient: 4, BceRows: 5 } as const;

/** The panel part of a ticket while a product's operands are copied in, and once it is closed: no panel is that high. */
export const PENDING = 0xfffe;
export const CLOSED = 0xffff;

/** What a helper is started with. */
export interface GemmHelperInit {
  /** The generated GEMM module, compiled for a shared memory. */
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** SLOT.Size Int32 slots. */
  control: SharedArrayBuffer;
  /** How long to spin for the next product before sleeping. */
  spinMs: number;
  pending: number;
  /** This helper's number, 1 up (the calling thread is 0): which block buffer it packs into. */
  index: number;
}

interface HelperExports {
  panels(...args: number[]): void;
  panel8sparse(...args: number[]): void;
  packRows(...args: number[]): void;
  im2col(...args: number[]): void;
  col2im(...args: number[]): void;
  packB(...args: number[]): void;
  packBT(...args: number[]): void;
  bceRows(...args: number[]): void;
}

/** A product as the control block describes it (see SLOT). */
export interface UnitParams {
  mode: number;
  units: number;
  a: number; b: number; c: number; bias: number;
  m: number; n: number; k: number;
  act: number; alpha: number;
  sparse: boolean; idx: number; counts: number;
  ldb: number; bStep: number;
  perUnit: number; transA: number;
  blocks: number; blockBytes: number;
  images: number; rowsPerImage: number; imageBytes: number;
  patches: number; patchBytes: number;
  geometry: readonly number[];
  partials: number;
  packB: number; bPanels: number;
}

/** The product posted in the control block. */
export function readUnitParams(control: SharedArrayBuffer): UnitParams {
  const c = new Int32Array(control);
  const S = SLOT;
  return {
    mode: c[S.Mode], units: c[S.Units], a: c[S.A], b: c[S.B], c: c[S.C], bias: c[S.Bias], m: c[S.M], n: c[S.N], k: c[S.K],
    act: c[S.Activation], alpha: new Float32Array(control)[S.Alpha], sparse: c[S.Sparse] === 1, idx: c[S.Idx], counts: c[S.Counts],
    ldb: c[S.Ldb], bStep: c[S.BStep], perUnit: c[S.PerUnit], transA: c[S.TransA], blocks: c[S.Blocks], blockBytes: c[S.BlockBytes],
    images: c[S.Images], rowsPerImage: c[S.RowsPerImage], imageBytes: c[S.ImageBytes], patches: c[S.Patches], patchBytes: c[S.PatchBytes],
    geometry: Array.from(c.subarray(S.Geometry, S.Geometry + 11)), partials: c[S.Partials], packB: c[S.PackB], bPanels: c[S.BPanels],
  };
}

/** Post a product's parameters in the control block (the calling thread; assignments, not a table, since it runs per product). */
export function writeUnitParams(c: Int32Array, p: UnitParams): void {
  const S = SLOT;
  c[S.Mode] = p.mode; c[S.Units] = p.units;
  c[S.A] = p.a; c[S.B] = p.b; c[S.C] = p.c; c[S.Bias] = p.bias; c[S.M] = p.m; c[S.N] = p.n; c[S.K] = p.k;
  c[S.Activation] = p.act; c[S.Sparse] = p.sparse ? 1 : 0; c[S.Idx] = p.idx; c[S.Counts] = p.counts;
  c[S.Ldb] = p.ldb; c[S.BStep] = p.bStep; c[S.PerUnit] = p.perUnit; c[S.TransA] = p.transA;
  c[S.Blocks] = p.blocks; c[S.BlockBytes] = p.blockBytes; c[S.Images] = p.images; c[S.RowsPerImage] = p.rowsPerImage;
  c[S.ImageBytes] = p.imageBytes; c[S.Patches] = p.patches; c[S.PatchBytes] = p.patchBytes;
  c[S.Partials] = p.partials; c[S.PackB] = p.packB; c[S.BPanels] = p.bPanels;
  c.set(p.geometry, S.Geometry);
  new Float32Array(c.buffer)[S.Alpha] = p.alpha;
}

/** One unit of the product, on thread `index` (0: the calling thread), which packs into its own buffers. */
export function runUnit(fns: HelperExports, memory: WebAssembly.Memory, p: UnitParams, index: number, unit: number): void {
  const { a, b, c, bias, m, n, k, act, alpha, ldb, bStep, perUnit } = p;
  const block = p.blocks + index * p.blockBytes;
  const patches = p.patches + index * p.patchBytes;
  if (p.mode === MODE.Panels) {
    // Arguments spelled out, not spread: a spread call into WebAssembly costs microseconds, and a panel is short.
    const [cj, biasj] = [c + 32 * unit, bias && bias + 32 * unit];
    let bj = b + bStep * unit;
    if (p.packB !== 0) {
      // This unit's panel of B packed by the thread that runs it: the packing is shared out too.
      bj = p.bPanels + 32 * k * unit;
      if (p.packB === 2) fns.packBT(b + 32 * k * unit, bj, k, 1, 4 * k, 0);
      else fns.packB(b + 32 * unit, bj, k, 1, 4 * n, 0);
    }
    if (p.sparse) fns.panel8sparse(a, bj, cj, biasj, k, 0, ldb, 4 * n, act, alpha, m, p.idx, p.counts);
    else fns.panels(a, bj, cj, biasj, k, 0, ldb, 4 * n, act, alpha, m, 8, bStep);
  } else if (p.mode === MODE.RowBlocks) {
    // Rows [r0, r0 + rows) of C, as runRowBlock in gemm.ts does them.
    const r0 = unit * perUnit;
    const rows = Math.min(perUnit, m - r0);
    fns.packRows(p.transA ? a + 4 * r0 : a + 4 * r0 * k, block, rows, k, p.transA ? m : k, p.transA);
    fns.panels(block, b, c + 4 * r0 * n, bias, k, 0, ldb, 4 * n, act, alpha, rows, n - (n % 4), bStep);
  } else if (p.mode === MODE.BceRows) {
    // Target rows [j0, j0 + count): one call for them all when each has one row of logits, else one per target row.
    const j0 = unit * perUnit;
    const count = Math.min(perUnit, p.images - j0);
    const repeat = p.rowsPerImage;
    if (repeat === 1) fns.bceRows(a + 4 * j0 * k, b + 4 * j0 * k, c + 4 * j0, count, 4 * n, 4 * k, 4 * k);
    else for (let j = j0; j < j0 + count; j++) fns.bceRows(a + 4 * j * repeat * k, b + 4 * j * k, c + 4 * j * repeat, repeat, 4 * n, 4 * k, 0);
  } else {
    // Images [b0, b0 + nb): rows [r0, r0 + rows) of the patches and of C (n is a multiple of 4).
    const b0 = unit * perUnit;
    const nb = Math.min(perUnit, p.images - b0);
    const [r0, rows, image] = [b0 * p.rowsPerImage, nb * p.rowsPerImage, b0 * p.imageBytes];
    if (p.mode === MODE.Forward) {
      fns.im2col(a + image, patches, nb, ...p.geometry, k);
      fns.packRows(patches, block, rows, k, k, 0);
      fns.panels(block, b, c + 4 * r0 * n, bias, k, 0, ldb, 4 * n, act, alpha, rows, n, bStep);
    } else if (p.mode === MODE.FilterGradient) {
      // Pᵀ (K rows, `rows` long) times these rows of dy, B packed after the patches.
      fns.im2col(a + image, patches, nb, ...p.geometry, k);
      fns.packRows(patches, block, k, rows, k, 1);
      const dyPanels = patches + Math.ceil((4 * perUnit * p.rowsPerImage * k) / 16) * 16;
      fns.packB(b + 4 * r0 * n, dyPanels, rows, n >> 3, 4 * n, n % 8 >= 4 ? 1 : 0);
      fns.panels(block, dyPanels, p.partials + 4 * unit * k * n, 0, rows, 0, 32, 4 * n, 0, 0, k, n, 32 * rows);
    } else {
      fns.packRows(a + 4 * r0 * k, block, rows, k, k, 0);
      fns.panels(block, b, patches, 0, k, 0, ldb, 4 * n, 0, 0, rows, n, bStep);
      new Uint8Array(memory.buffer, c + image, nb * p.imageBytes).fill(0);
      fns.col2im(patches, c + image, nb, ...p.geometry, n);
    }
  }
}

/**
 * For every product: read its parameters, then take units one at a time
 * from the shared ticket until none is left. A ticket carries the product's
 * number, so a helper that wakes late, or read the parameters while the next
 * product was being posted, takes nothing (its compare-exchange fails or
 * finds the product closed) and waits again. Never returns.
 */
export function runGemmHelper(init: GemmHelperInit): void {
  const { module, memory, control, spinMs, pending, index } = init;
  const fns = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as HelperExports;
  const c = new Int32Array(control);
  const S = SLOT;
  // Products are counted from 0, so one posted while this thread was starting is not missed.
  let seen = 0;
  for (;;) {
    const spinStart = performance.now();
    while (Atomics.load(c, S.Start) === seen && performance.now() - spinStart < spinMs) {
      for (let spin = 0; spin < 1000 && Atomics.load(c, S.Start) === seen; spin++);
    }
    while (Atomics.load(c, S.Start) === seen) Atomics.wait(c, S.Start, seen);
    seen = Atomics.load(c, S.Start);
    const tag = (seen & 0x7fff) << 16;
    // Woken before the operands are copied in: wait for the product to open (or to be over).
    let t = Atomics.load(c, S.Next);
    for (const openStart = performance.now(); t === (tag | pending); t = Atomics.load(c, S.Next)) {
      if (performance.now() - openStart > spinMs) Atomics.wait(c, S.Next, t);
    }
    if ((t & 0x7fff0000) !== tag) continue;
    const params = readUnitParams(control);
    for (;;) {
      t = Atomics.load(c, S.Next);
      if ((t & 0x7fff0000) !== tag || (t & 0xffff) >= params.units) break;
      if (Atomics.compareExchange(c, S.Next, t, t + 1) !== t) continue;
      // A unit is a few hundred microseconds of copying away at most: spin.
      while (Atomics.load(c, S.Copied) <= (t & 0xffff));
      try {
        runUnit(fns, memory, params, index, t & 0xffff);
      } catch {
        Atomics.store(c, S.Failed, 1);
      }
      Atomics.add(c, S.Finished, 1);
      Atomics.notify(c, S.Finished);
    }
  }
}

/**
 * The helper as source text, for a platform that starts a thread from
 * source (Node evaluates it in a worker): the constants and functions the
 * loop uses, then the loop called on `init`, an expression.
 */
export function helperSource(init: string): string {
  return [`const SLOT = ${JSON.stringify(SLOT)};`, `const MODE = ${JSON.stringify(MODE)};`, readUnitParams, runUnit, `(${runGemmHelper.toString()})(${init});`].join('\n');
}
