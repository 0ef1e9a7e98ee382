/**
 * The SIMD product on several threads, on any platform: the column panels
 * of C are shared out among the calling thread and helper threads, which
 * all run the same generated module on one shared WebAssembly memory. A
 * platform only says how a helper starts (Node: a worker thread; a page: a
 * module Web Worker) and how many threads to use; the helpers run
 * gemm-helper.ts. The calling thread blocks on Atomics.wait, so it must be
 * one that may (Node's main thread, a Web Worker; not a page's main thread).
 *
 * The tfjs wasm backend's own memory is not shared (its threaded build does
 * not start in Node, and the page runs its SIMD build), so operands are
 * copied in and the result copied back: ~0.2 ms for a 128×784·784×400 product, which then takes ~1 ms on two
 * threads instead of ~1.8 ms on one.
 *
 * Panels are taken one at a time from a shared counter, not split in fixed
 * shares: on this VM a helper takes 0.1-0.4 ms to start on a product even
 * while it spins (its core is also where the system and V8's own threads
 * run), and with fixed shares the main thread waited that long for it on
 * every product. The helpers are woken before the operands are copied in,
 * spin briefly between products and then sleep on Atomics.wait.
 */
import { CLOSED, PENDING, SLOT as Slot, type GemmHelperInit } from './gemm-helper.js';
import { aScratchBytes, byRowBlocks, packedBBytes, packedBytes, packsB, prepareA, prepareB, rowBlockRows, runPanels, runRowBlock, runScalarTail, scratchBytes, type GemmProblem } from './kernels/gemm/gemm.js';
import { gemmModuleBytes, SHARED_MAXIMUM_PAGES, type SimdGemm } from './kernels/gemm/simd_gemm.js';
import { setParallelGemm, type ParallelGemm } from './kernels/MatMul.js';

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

  /**
   * C = act(op(A)·B + bias) for operands at byte offsets of `heap` (another
   * memory, e.g. the tfjs wasm heap); C is written back there.
   */
  run(heap: ArrayBuffer, p: GemmProblem): void {
    const c = this.control;
    // Wake the helpers first: they get going while the operands are copied in.
    const product = (c[Slot.Start] + 1) | 0;
    Atomics.store(c, Slot.Next, ticket(product, PENDING));
    Atomics.store(c, Slot.Start, product);
    Atomics.notify(c, Slot.Start);
    Atomics.notify(c, Slot.Next);
    const { m, n, k } = p;
    const { rowBlock, units } = unitsOf(m, n, k);
    // Shared layout: A as stored | B | C | bias | scratch.
    const sizes = [4 * m * k, 4 * k * n, 4 * m * n, p.bias ? 4 * n : 0, sharedScratchBytes(m, n, k, rowBlock, this.threads)];
    const at: number[] = [];
    let end = 0;
    for (const s of sizes) {
      at.push(end);
      end += align16(s);
    }
    this.reserve(end);
    const shared = new Uint8Array(this.memory.buffer);
    const source = new Uint8Array(heap);
    shared.set(source.subarray(p.a, p.a + sizes[0]), at[0]);
    shared.set(source.subarray(p.b, p.b + sizes[1]), at[1]);
    if (p.bias) shared.set(source.subarray(p.bias, p.bias + sizes[3]), at[3]);
    const local: GemmProblem = { ...p, a: at[0], b: at[1], c: at[2], bias: p.bias ? at[3] : 0 };
    // By row blocks: packed B, then the threads' block buffers; by panels: gemm's scratch.
    const b = prepareB(this.fns, local, rowBlock ? at[4] : at[4] + aScratchBytes(m, k), packsB(m, n, k));
    const blocks = at[4] + packedBBytes(k, n);
    const blockBytes = align16(packedBytes(rowBlock, k));
    const a = rowBlock ? null : prepareA(this.fns, this.memory, local, at[4], b.ldb);

    c[Slot.A] = a ? a.at : local.a;
    c[Slot.B] = b.at;
    c[Slot.C] = local.c;
    c[Slot.Bias] = local.bias;
    c[Slot.M] = m;
    c[Slot.N] = n;
    c[Slot.K] = k;
    c[Slot.Activation] = p.activation;
    new Float32Array(c.buffer)[Slot.Alpha] = p.alpha;
    c[Slot.Units] = units;
    c[Slot.Sparse] = a?.sparse ? 1 : 0;
    c[Slot.Idx] = a?.idx ?? 0;
    c[Slot.Counts] = a?.counts ?? 0;
    c[Slot.Ldb] = b.ldb;
    c[Slot.BStep] = b.step;
    c[Slot.RowBlock] = rowBlock;
    c[Slot.TransA] = p.transA ? 1 : 0;
    c[Slot.Blocks] = blocks;
    c[Slot.BlockBytes] = blockBytes;
    Atomics.store(c, Slot.Finished, 0);
    Atomics.store(c, Slot.Next, ticket(product, 0));
    Atomics.notify(c, Slot.Next);

    // Units as long as any is left (a helper that wakes late costs nothing but its share
    // of the work), then what no unit covers: the 4-column panel (by panels) and the last
    // n mod 4 columns.
    let taken = 0;
    try {
      for (;;) {
        const unit = Atomics.add(c, Slot.Next, 1) & 0xffff;
        if (unit >= units) break;
        taken++;
        if (a) runPanels(this.fns, a, b, local, unit, unit + 1);
        else runRowBlock(this.fns, local, b, unit * rowBlock, Math.min(rowBlock, m - unit * rowBlock), blocks);
      }
      if (a) runPanels(this.fns, a, b, local, units, units, true);
      runScalarTail(this.memory, local);
    } finally {
      // Closed, so no helper takes a unit of this product once the next one is being
      // posted (see runGemmHelper); then wait for the units the helpers took.
      const last = Atomics.exchange(c, Slot.Next, ticket(product, CLOSED)) & 0xffff;
      Atomics.notify(c, Slot.Next);
      const helped = Math.min(last, units) - taken;
      this.waitForHelpers(helped);
      this.helperPanels += helped;
    }
    new Uint8Array(heap).set(new Uint8Array(this.memory.buffer, at[2], sizes[2]), p.c);
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
