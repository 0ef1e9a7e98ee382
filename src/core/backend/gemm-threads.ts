/**
 * The SIMD product on several threads, on any platform: units of a product
 * (8-column panels of C, blocks of rows of a tall product, groups of images
 * of a convolution, or blocks of rows of a binary cross-entropy; see MODE in
 * gemm-helper.ts) are shared out among
 * the calling thread and helper threads, which all run the same generated
 * module, and the same `runUnit`, on one shared WebAssembly memory. A
 * platform only says how a helper starts (Node: a worker thread; a page: a
 * module Web Worker) and how many threads to use; the helpers run
 * gemm-helper.ts. The calling thread blocks on Atomics.wait, so it must be
 * one that may (Node's main thread, a Web Worker; not a page's main thread).
 *
 * The tfjs wasm backend's own memory is not shared (its threaded build does
 * not start in Node, and the page runs its SIMD build), so operands are
 * copied in and the result copied back: ~0.2 ms for a 128×784·784×400 product, which then takes ~1 ms on two
 * threads instead of ~1.8 ms on one. A convolution copies its images (x or
 * dy) and filter, and each thread makes its own patches from them, which
 * are 2.25-9× larger than x.
 *
 * Units are taken one at a time from a shared counter, not split in fixed
 * shares: on this VM a helper takes 0.1-0.4 ms to start on a product even
 * while it spins (its core is also where the system and V8's own threads
 * run), and with fixed shares the main thread waited that long for it on
 * every product. The helpers are woken before the operands are copied in,
 * spin briefly between products and then sleep on Atomics.wait. Where each
 * unit reads only its own part of an operand (a convolution's images, a row
 * block's rows, a BCE's rows), that operand is copied in unit by unit after
 * the product opens, and a helper starts on the first unit while the
 * calling thread copies the rest.
 */
import { CLOSED, MODE, PENDING, runUnit, SLOT as Slot, writeUnitParams, type GemmHelperInit, type UnitParams } from './gemm-helper.js';
import { aScratchBytes, byRowBlocks, packedBBytes, packedBytes, packsB, prepareA, prepareB, rowBlockRows, runPanels, runScalarTail, scratchBytes, type GemmProblem, type PreparedA } from './kernels/gemm/gemm.js';
import { gemmModuleBytes, SHARED_MAXIMUM_PAGES, type SimdGemm } from './kernels/gemm/simd_gemm.js';
import { imagesPerGradientGroup } from './kernels/conv_util.js';
import { setParallelGemm, type BceProblem, type ConvMode, type ConvProblem, type ParallelGemm } from './kernels/MatMul.js';

/** A started helper thread. */
export interface GemmHelper {
  terminate(): unknown;
}

/** How a platform starts a helper that runs runGemmHelper(init) (Node: unref'd, so it never keeps a process alive). */
export type SpawnGemmHelper = (init: GemmHelperInit) => GemmHelper;

const ticket = (product: number, unit: number) => ((product & 0x7fff) << 16) | unit;

const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** How a product is cut into units: row blocks of `rowBlock` rows, or (rowBlock 0) 8-column panels. */
function unitsOf(m: number, n: number, k: number): { rowBlock: number; units: number } {
  if (!byRowBlocks(m, n, k)) return { rowBlock: 0, units: Math.floor(n / 8) };
  const rowBlock = rowBlockRows(k);
  return { rowBlock, units: Math.ceil(m / rowBlock) };
}

/** Shared scratch: by panels, gemm's own (packed A, its compaction, packed B); by row blocks, packed B and one block buffer per thread. */
function sharedScratchBytes(m: number, n: number, k: number, rowBlock: number, threads: number): number {
  return rowBlock ? packedBBytes(k, n) + threads * align16(packedBytes(rowBlock, k)) : scratchBytes(m, k, n);
}

/** A convolution's units: groups of images with about a row block of patches each (filter gradient: see imagesPerGradientGroup). */
function convUnitsOf(mode: ConvMode, p: ConvProblem): { imagesPerUnit: number; units: number } {
  const imagesPerUnit = mode === 'filterGradient' ? imagesPerGradientGroup(p.rowsPerImage) : Math.max(1, Math.floor(rowBlockRows(p.k) / Math.max(1, p.rowsPerImage)));
  return { imagesPerUnit, units: Math.ceil(p.images / imagesPerUnit) };
}

/**
 * Bytes of a convolution's regions: A (x, or dy's rows), B (the filter, Wᵀ,
 * or dy's rows), C (the output rows, dx, or dW), and per thread its patch
 * (or column) buffer, with dy's panels after it for a filter gradient, and
 * its packed block; a filter gradient's partial products.
 */
function convBytes(mode: ConvMode, p: ConvProblem, imagesPerUnit: number, units: number) {
  const xBytes = p.images * p.imageBytes;
  const rowsBytes = (columns: number) => 4 * p.images * p.rowsPerImage * columns;
  const unitRows = imagesPerUnit * p.rowsPerImage;
  if (mode === 'filterGradient') {
    return {
      a: xBytes, b: rowsBytes(p.n), c: 4 * p.k * p.n,
      patches: align16(4 * unitRows * p.k) + packedBBytes(unitRows, p.n),
      block: align16(packedBytes(p.k, unitRows)),
      partials: 4 * units * p.k * p.n,
    };
  }
  return {
    a: mode === 'forward' ? xBytes : rowsBytes(p.k), b: 4 * p.k * p.n, c: mode === 'forward' ? rowsBytes(p.n) : xBytes,
    patches: align16(4 * unitRows * (mode === 'forward' ? p.k : p.n)),
    block: align16(packedBytes(unitRows, p.k)),
    partials: 0,
  };
}

/** Logits per unit of a shared BCE, about: enough to outweigh taking a unit, few enough to balance the threads. */
const BCE_UNIT_VALUES = 32768;

/** A BCE's units: blocks of target rows, a multiple of `threads` of them where the rows allow. */
function bceUnitsOf(p: BceProblem, threads: number): { perUnit: number; units: number } {
  const targetRows = p.rows / p.repeat;
  const wanted = Math.min(targetRows, threads * Math.max(1, Math.round((p.rows * p.cols) / (BCE_UNIT_VALUES * threads))));
  const perUnit = Math.ceil(targetRows / wanted);
  return { perUnit, units: Math.ceil(targetRows / perUnit) };
}

/** Byte offsets of a product's regions in the shared memory. */
interface Offsets {
  a: number;
  b: number;
  c: number;
  bias: number;
  scratch: number;
}

/** The geometry of a product that is not a convolution's. */
const NO_GEOMETRY: readonly number[] = Array<number>(11).fill(0);

/**
 * Where a shared product's operands go: copied in from the heap (a, b, bias)
 * and the result copied back (c). An operand with `unitBytes` is read by unit
 * u only at bytes [u·unitBytes, (u + 1)·unitBytes): it is copied in unit by
 * unit once the product is open (see `streamIn`).
 */
type Region = [from: number, bytes: number, unitBytes?: number];
interface Regions {
  a: Region;
  b: Region;
  bias: Region;
  c: [to: number, bytes: number];
  scratch: number;
}

/** Switches for tests and benchmarks. */
export const threadSettings = {
  /** Copy operands that units read in parts unit by unit, while the helpers start (false: all before the product opens). */
  stream: true,
};

/** SLOT.Copied once every unit's operands are in. */
const ALL_COPIED = 0x7fffffff;

/** The most the shared memory grows to for one product (operands, result, packed A). */
const SHARED_BUDGET_BYTES = 256 * 2 ** 20;

/** How long a helper spins for the next product before it sleeps (products come every ~1 ms in training). */
const HELPER_SPIN_MS = 0.5;

/** A product that takes longer than this on the helpers means a helper is gone. */
const TIMEOUT_MS = 60_000;

export class GemmThreads {
  private readonly memory: WebAssembly.Memory;
  private readonly fns: SimdGemm;
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * Slot.Size));
  private readonly workers: GemmHelper[] = [];
  /** Panels the helpers have computed, over all products (how much the threads share). */
  helperPanels = 0;

  /** `threads` in all, counting the calling thread (≥ 2). */
  constructor(
    readonly threads: number,
    spawn: SpawnGemmHelper,
  ) {
    if (!(Number.isInteger(threads) && threads >= 2)) throw new Error(`GemmThreads: needs at least 2 threads, got ${threads}`);
    this.memory = new WebAssembly.Memory({ initial: 64, maximum: SHARED_MAXIMUM_PAGES, shared: true });
    const module = new WebAssembly.Module(gemmModuleBytes(true) as unknown as ArrayBuffer);
    this.fns = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as SimdGemm;
    const init = { module, memory: this.memory, control: this.control.buffer as SharedArrayBuffer, spinMs: HELPER_SPIN_MS, slot: Slot, pending: PENDING };
    for (let h = 1; h < threads; h++) this.workers.push(spawn({ ...init, index: h } satisfies GemmHelperInit));
  }

  /**
   * Worth the copies and the hand-off: enough units to share out (8-column
   * panels, or row blocks for a tall A and a small B), enough work in each,
   * and operands that fit the shared memory's budget (it only grows, so a
   * huge product stays on the calling thread).
   */
  static worthSharing(m: number, n: number, k: number, threads: number): boolean {
    const { rowBlock, units } = unitsOf(m, n, k);
    const bytes = 4 * (m * k + k * n + m * n + n) + sharedScratchBytes(m, n, k, rowBlock, threads);
    return n >= 8 && units >= threads && units < PENDING && 2 * m * n * k >= 4e6 && bytes <= SHARED_BUDGET_BYTES;
  }

  /** The same for a convolution's product (n a multiple of 4: its units leave no columns to a scalar loop). */
  static worthSharingConv(mode: ConvMode, p: ConvProblem, threads: number): boolean {
    const { imagesPerUnit, units } = convUnitsOf(mode, p);
    const r = convBytes(mode, p, imagesPerUnit, units);
    const bytes = r.a + r.b + r.c + 4 * p.n + packedBBytes(p.k, p.n) + threads * (r.patches + r.block) + r.partials;
    const flops = 2 * p.images * p.rowsPerImage * p.k * p.n;
    return p.n >= 8 && p.n % 4 === 0 && units >= threads && units < PENDING && flops >= 4e6 && bytes <= SHARED_BUDGET_BYTES;
  }

  /** The same for the rows of a BCE: enough logits to pay for copying them in (the work per value is ~40 SIMD operations). */
  static worthSharingBce(p: BceProblem, threads: number): boolean {
    const { units } = bceUnitsOf(p, threads);
    const bytes = 4 * (p.rows * p.cols + (p.rows / p.repeat) * p.cols + p.rows);
    return p.vectorColumns > 0 && p.rows * p.cols >= 2 * BCE_UNIT_VALUES && units >= threads && units < PENDING && bytes <= SHARED_BUDGET_BYTES;
  }

  /**
   * C = act(op(A)·B + bias) for operands at byte offsets of `heap` (another
   * memory, e.g. the tfjs wasm heap); C is written back there.
   */
  run(heap: ArrayBuffer, p: GemmProblem): void {
    const { m, n, k } = p;
    const { rowBlock, units } = unitsOf(m, n, k);
    // By row blocks, a unit reads only its rows of A (when A is stored M×K); by panels, all of A, packed first.
    const aRegion: Region = rowBlock && !p.transA ? [p.a, 4 * m * k, 4 * rowBlock * k] : [p.a, 4 * m * k];
    const regions: Regions = { a: aRegion, b: [p.b, 4 * k * n], bias: [p.bias, p.bias ? 4 * n : 0], c: [p.c, 4 * m * n], scratch: sharedScratchBytes(m, n, k, rowBlock, this.threads) };
    let prepared: PreparedA | null = null;
    const packB = p.transB ? 2 : packsB(m, n, k) ? 1 : 0;
    this.share(heap, regions, (at) => {
      const local: GemmProblem = { ...p, a: at.a, b: at.b, c: at.c, bias: p.bias ? at.bias : 0 };
      if (rowBlock) {
        // Packed B, then the threads' block buffers.
        const b = prepareB(this.fns, at.b, k, n, at.scratch, packB !== 0, p.transB);
        // (Literals without spreads: they are built per product, and a spread object is slow to build.)
        return {
          mode: MODE.RowBlocks, units, perUnit: rowBlock, a: local.a, b: b.at, c: local.c, bias: local.bias, m, n, k,
          act: p.activation, alpha: p.alpha, sparse: false, idx: 0, counts: 0, ldb: b.ldb, bStep: b.step, transA: p.transA ? 1 : 0,
          blocks: at.scratch + packedBBytes(k, n), blockBytes: align16(packedBytes(rowBlock, k)),
          images: 0, rowsPerImage: 0, imageBytes: 0, patches: 0, patchBytes: 0, geometry: NO_GEOMETRY, partials: 0, packB: 0, bPanels: 0,
        };
      }
      // By panels, gemm's scratch: packed A (compacted or not), then B's panels, each packed by its unit.
      const bPanels = at.scratch + aScratchBytes(m, k);
      prepared = prepareA(this.fns, this.memory, local, at.scratch, packB ? 32 : 4 * n);
      return {
        mode: MODE.Panels, units, perUnit: 0, a: prepared.at, b: local.b, c: local.c, bias: local.bias, m, n, k,
        act: p.activation, alpha: p.alpha, sparse: prepared.sparse, idx: prepared.idx, counts: prepared.counts,
        ldb: packB ? 32 : 4 * n, bStep: packB ? 32 * k : 32, transA: p.transA ? 1 : 0, blocks: 0, blockBytes: 0,
        images: 0, rowsPerImage: 0, imageBytes: 0, patches: 0, patchBytes: 0, geometry: NO_GEOMETRY, partials: 0, packB, bPanels,
      };
    }, (at, u) => {
      // What no unit covers: the 4-column panel (by panels) and the last n mod 4 columns.
      const local: GemmProblem = { ...p, a: at.a, b: at.b, c: at.c, bias: u.bias };
      if (prepared) {
        const tail = n % 8 >= 4 ? 1 : 0;
        if (tail && packB === 2) this.fns.packBT(at.b + 32 * k * units, u.bPanels + 32 * k * units, k, 0, 4 * k, 1);
        else if (tail && packB === 1) this.fns.packB(at.b + 32 * units, u.bPanels + 32 * k * units, k, 0, 4 * n, 1);
        const b = packB ? { at: u.bPanels, ldb: 32, step: 32 * k } : { at: at.b, ldb: 4 * n, step: 32 };
        runPanels(this.fns, prepared, b, local, units, units, true);
      }
      runScalarTail(this.memory, local);
    });
  }

  /**
   * A convolution's product with the patches made per unit (forward: the
   * images' im2col, packed, times the filter, with bias and activation) or
   * its columns scattered back per unit (input gradient: dy's rows times Wᵀ,
   * col2im into dx); operands and result at byte offsets of `heap`.
   */
  runConv(heap: ArrayBuffer, mode: ConvMode, p: ConvProblem): void {
    const { imagesPerUnit, units } = convUnitsOf(mode, p);
    const r = convBytes(mode, p, imagesPerUnit, units);
    const packsFilter = mode !== 'filterGradient';
    const threadBytes = this.threads * (r.patches + r.block);
    // Each unit reads only its own images of x (or rows of dy); a filter gradient's B is dy's rows too.
    const unitImagesBytes = mode === 'inputGradient' ? 4 * imagesPerUnit * p.rowsPerImage * p.k : imagesPerUnit * p.imageBytes;
    const filterOrDy: Region = mode === 'filterGradient' ? [p.b, r.b, 4 * imagesPerUnit * p.rowsPerImage * p.n] : [p.b, r.b];
    const regions: Regions = { a: [p.a, r.a, unitImagesBytes], b: filterOrDy, bias: [p.bias, p.bias ? 4 * p.n : 0], c: [p.c, r.c], scratch: (packsFilter ? packedBBytes(p.k, p.n) : 0) + threadBytes + r.partials };
    const setup = (at: Offsets): UnitParams => {
      // Scratch: the filter's panels (forward, input gradient) | block buffers | patch buffers | partials.
      const b = packsFilter ? prepareB(this.fns, at.b, p.k, p.n, at.scratch, true) : { at: at.b, ldb: 4 * p.n, step: 32 };
      const blocks = at.scratch + (packsFilter ? packedBBytes(p.k, p.n) : 0);
      const patches = blocks + this.threads * r.block;
      return {
        mode: { forward: MODE.Forward, inputGradient: MODE.InputGradient, filterGradient: MODE.FilterGradient }[mode], units, perUnit: imagesPerUnit,
        a: at.a, b: b.at, c: at.c, bias: p.bias ? at.bias : 0, m: p.images * p.rowsPerImage, n: p.n, k: p.k,
        act: p.activation, alpha: p.alpha, sparse: false, idx: 0, counts: 0, ldb: b.ldb, bStep: b.step, transA: 0,
        blocks, blockBytes: r.block, images: p.images, rowsPerImage: p.rowsPerImage, imageBytes: p.imageBytes,
        patches, patchBytes: r.patches, geometry: p.geometry, partials: patches + this.threads * r.patches, packB: 0, bPanels: 0,
      };
    };
    // A filter gradient's partials summed in unit order, whichever thread made them.
    const sum = (at: Offsets, u: UnitParams) => {
      new Uint8Array(this.memory.buffer, at.c, r.c).fill(0);
      for (let unit = 0; unit < units; unit++) this.fns.addInto(at.c, u.partials + unit * r.c, p.k * p.n);
    };
    this.share(heap, regions, setup, undefined, mode === 'filterGradient' ? sum : undefined);
  }

  /**
   * The sums of a BCE's rows over their first `vectorColumns` columns
   * (simd_bce.ts's bceRows), target rows shared out in blocks; each row is
   * summed by one thread, in the order one thread sums it alone.
   */
  runBce(heap: ArrayBuffer, p: BceProblem): void {
    const { perUnit, units } = bceUnitsOf(p, this.threads);
    const targetRows = p.rows / p.repeat;
    const regions: Regions = { a: [p.logits, 4 * p.rows * p.cols, 4 * perUnit * p.repeat * p.cols], b: [p.targets, 4 * targetRows * p.cols, 4 * perUnit * p.cols], bias: [0, 0], c: [p.out, 4 * p.rows], scratch: 0 };
    this.share(heap, regions, (at) => ({
      mode: MODE.BceRows, units, perUnit, a: at.a, b: at.b, c: at.c, bias: 0, m: p.rows, n: p.vectorColumns, k: p.cols,
      act: 0, alpha: 0, sparse: false, idx: 0, counts: 0, ldb: 0, bStep: 0, transA: 0, blocks: 0, blockBytes: 0,
      images: targetRows, rowsPerImage: p.repeat, imageBytes: 0, patches: 0, patchBytes: 0, geometry: NO_GEOMETRY, partials: 0, packB: 0, bPanels: 0,
    }));
  }

  /**
   * Post a product: wake the helpers, copy the operands into the shared
   * memory, let `setup` prepare it there (packing, compaction) and describe
   * its units, take units until none is left, run `tail` (what no unit
   * covers), wait for the helpers' units, run `after` (what needs them all)
   * and copy the result back.
   */
  private share(heap: ArrayBuffer, regions: Regions, setup: (at: Offsets) => UnitParams, tail?: (at: Offsets, params: UnitParams) => void, after?: (at: Offsets, params: UnitParams) => void): void {
    const c = this.control;
    // Wake the helpers first: they get going while the operands are copied in.
    const product = (c[Slot.Start] + 1) | 0;
    Atomics.store(c, Slot.Next, ticket(product, PENDING));
    Atomics.store(c, Slot.Start, product);
    Atomics.notify(c, Slot.Start);
    Atomics.notify(c, Slot.Next);
    // Shared layout: A | B | C | bias | scratch.
    const sizes = [regions.a[1], regions.b[1], regions.c[1], regions.bias[1], regions.scratch];
    const starts: number[] = [];
    let end = 0;
    for (const s of sizes) {
      starts.push(end);
      end += align16(s);
    }
    const at: Offsets = { a: starts[0], b: starts[1], c: starts[2], bias: starts[3], scratch: starts[4] };
    this.reserve(end);
    const shared = new Uint8Array(this.memory.buffer);
    const source = new Uint8Array(heap);
    const operands = [[regions.a, at.a], [regions.b, at.b], [regions.bias, at.bias]] as const;
    const streamed = operands.filter(([[, bytes, unitBytes]]) => threadSettings.stream && bytes > 0 && (unitBytes ?? 0) > 0);
    for (const [[from, bytes], to] of operands.filter((o) => !streamed.includes(o))) {
      if (bytes > 0) shared.set(source.subarray(from, from + bytes), to);
    }
    const params = setup(at);
    writeUnitParams(c, params);
    Atomics.store(c, Slot.Finished, 0);
    Atomics.store(c, Slot.Copied, streamed.length > 0 ? 0 : ALL_COPIED);
    Atomics.store(c, Slot.Next, ticket(product, 0));
    Atomics.notify(c, Slot.Next);
    if (streamed.length > 0) this.streamIn(shared, source, streamed, params.units);

    // Units as long as any is left: a helper that wakes late costs nothing but its share of the work.
    let taken = 0;
    try {
      for (;;) {
        const unit = Atomics.add(c, Slot.Next, 1) & 0xffff;
        if (unit >= params.units) break;
        taken++;
        runUnit(this.fns, this.memory, params, 0, unit);
      }
      tail?.(at, params);
    } finally {
      // Closed, so no helper takes a unit of this product once the next one is being
      // posted (see runGemmHelper); then wait for the units the helpers took.
      const last = Atomics.exchange(c, Slot.Next, ticket(product, CLOSED)) & 0xffff;
      Atomics.notify(c, Slot.Next);
      const helped = Math.min(last, params.units) - taken;
      this.waitForHelpers(helped);
      this.helperPanels += helped;
    }
    after?.(at, params);
    new Uint8Array(heap).set(new Uint8Array(this.memory.buffer, at.c, regions.c[1]), regions.c[0]);
  }

  /**
   * Copy the streamed operands in unit by unit, publishing each unit as it
   * arrives: a helper starts on unit 0 while the rest is still being copied,
   * instead of waiting for all of it.
   */
  private streamIn(shared: Uint8Array, source: Uint8Array, streamed: readonly (readonly [Region, number])[], units: number): void {
    const c = this.control;
    try {
      for (let u = 0; u < units; u++) {
        for (const [[from, bytes, unitBytes = 0], to] of streamed) {
          const [lo, hi] = [u * unitBytes, Math.min(bytes, (u + 1) * unitBytes)];
          if (hi > lo) shared.set(source.subarray(from + lo, from + hi), to + lo);
        }
        Atomics.store(c, Slot.Copied, u + 1);
      }
    } finally {
      // Never leave a helper spinning on a unit that will not come.
      Atomics.store(c, Slot.Copied, ALL_COPIED);
    }
  }

  /** Until the helpers have finished `panels` panels (the ones they took). */
  private waitForHelpers(panels: number): void {
    const c = this.control;
    for (let spin = 0; Atomics.load(c, Slot.Finished) < panels && spin < 200000; spin++);
    const deadline = Date.now() + TIMEOUT_MS;
    for (let done = Atomics.load(c, Slot.Finished); done < panels; done = Atomics.load(c, Slot.Finished)) {
      if (Date.now() > deadline) throw new Error('latentkit: a matrix-product helper thread stopped answering');
      Atomics.wait(c, Slot.Finished, done, 1000);
    }
    if (Atomics.load(c, Slot.Failed) !== 0) throw new Error('latentkit: a matrix-product helper thread failed');
  }

  /** Grow the shared memory to hold `bytes`. */
  private reserve(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
  }

  /** Stop the helper threads. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

/**
 * Large products shared out over `threads()` threads (read per product, so a
 * new setting takes effect at the next one), helpers started by `spawn` on
 * the first product worth sharing.
 */
export class SharedProducts implements ParallelGemm {
  private pool: GemmThreads | null = null;
  /** Panels the helpers of closed pools computed. */
  private closedPanels = 0;

  constructor(
    readonly threads: () => number,
    private readonly spawn: SpawnGemmHelper,
  ) {}

  accepts(m: number, n: number, k: number): boolean {
    const threads = this.threads();
    return threads >= 2 && GemmThreads.worthSharing(m, n, k, threads);
  }

  run(heap: ArrayBuffer, p: GemmProblem): void {
    this.pool ??= new GemmThreads(this.threads(), this.spawn);
    this.pool.run(heap, p);
  }

  acceptsConv(mode: ConvMode, p: ConvProblem): boolean {
    const threads = this.threads();
    return threads >= 2 && GemmThreads.worthSharingConv(mode, p, threads);
  }

  runConv(heap: ArrayBuffer, mode: ConvMode, p: ConvProblem): void {
    this.pool ??= new GemmThreads(this.threads(), this.spawn);
    this.pool.runConv(heap, mode, p);
  }

  acceptsBce(p: BceProblem): boolean {
    const threads = this.threads();
    return threads >= 2 && GemmThreads.worthSharingBce(p, threads);
  }

  runBce(heap: ArrayBuffer, p: BceProblem): void {
    this.pool ??= new GemmThreads(this.threads(), this.spawn);
    this.pool.runBce(heap, p);
  }

  /** Panels computed by helper threads so far (0 until a product was shared). */
  get helperPanels(): number {
    return this.closedPanels + (this.pool?.helperPanels ?? 0);
  }

  /** Close the helpers when their number is no longer the setting (the next product starts new ones). */
  dropStale(): void {
    if (this.pool && this.pool.threads !== this.threads()) {
      this.closedPanels += this.pool.helperPanels;
      void this.pool.close();
      this.pool = null;
    }
  }

  /** Let the wasm matrix-product kernels share large products out through this. */
  install(): void {
    this.dropStale();
    setParallelGemm(this);
  }
}
