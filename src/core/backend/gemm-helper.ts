/**
 * The loop a matrix-product helper thread runs (see gemm-threads.ts), on
 * every platform: a Node worker thread evaluates its source text, a page's
 * Web Worker imports it. It must stay self-contained (no imports, nothing
 * from this module's scope), since Node runs it from `toString()`.
 */

/** Int32 slots of the control block shared by the calling thread and its helpers. */
export const SLOT = {
  /** The number of the current product, bumped by the calling thread to start one. */
  Start: 0,
  /** Panels the helpers finished in the current product (reset per product). */
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
  /** Units of work in all: 8-column panels, or blocks of rows (RowBlock > 0). */
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
  /**
   * Rows per unit when the product runs by row blocks (0: by column panels).
   * Then A is op(A) as stored (TransA: 1 for K×M), and thread i packs its
   * blocks at Blocks + i·BlockBytes.
   */
  RowBlock: 19,
  TransA: 20,
  Blocks: 21,
  BlockBytes: 22,
  Size: 24,
} as const;

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
  slot: typeof SLOT;
  pending: number;
  /** This helper's number, 1 up (the calling thread is 0): which block buffer it packs into. */
  index: number;
}

interface HelperExports {
  panels(...args: number[]): void;
  panel8sparse(...args: number[]): void;
  packRows(...args: number[]): void;
}

/**
 * For every product: read its parameters, then take units (panels or row
 * blocks) one at a time from the shared ticket until none is left. A ticket carries the product's
 * number, so a helper that wakes late, or read the parameters while the next
 * product was being posted, takes nothing (its compare-exchange fails or
 * finds the product closed) and waits again. Never returns.
 */
export function runGemmHelper(init: GemmHelperInit): void {
  const { module, memory, control, spinMs, slot: S, pending, index } = init;
  const fns = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as HelperExports;
  const c = new Int32Array(control);
  const f = new Float32Array(control);
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
    const n = c[S.N], units = c[S.Units], sparse = c[S.Sparse] === 1;
    const a = c[S.A], b = c[S.B], cc = c[S.C], bias = c[S.Bias], k = c[S.K], m = c[S.M];
    const act = c[S.Activation], alpha = f[S.Alpha], idx = c[S.Idx], counts = c[S.Counts];
    const ldb = c[S.Ldb], bStep = c[S.BStep], rowBlock = c[S.RowBlock], transA = c[S.TransA];
    const block = c[S.Blocks] + index * c[S.BlockBytes];
    for (;;) {
      t = Atomics.load(c, S.Next);
      if ((t & 0x7fff0000) !== tag || (t & 0xffff) >= units) break;
      if (Atomics.compareExchange(c, S.Next, t, t + 1) !== t) continue;
      const unit = t & 0xffff;
      try {
        if (rowBlock > 0) {
          // Rows [r0, r0 + rows) of C: as runRowBlock in gemm.ts.
          const r0 = unit * rowBlock;
          const rows = Math.min(rowBlock, m - r0);
          fns.packRows(transA ? a + 4 * r0 : a + 4 * r0 * k, block, rows, k, transA ? m : k, transA);
          fns.panels(block, b, cc + 4 * r0 * n, bias, k, 0, ldb, 4 * n, act, alpha, rows, n - (n % 4), bStep);
        } else {
          const j = 8 * unit;
          const args = [a, b + bStep * unit, cc + 4 * j, bias && bias + 4 * j, k, 0, ldb, 4 * n, act, alpha, m];
          if (sparse) fns.panel8sparse(...args, idx, counts);
          else fns.panels(...args, 8, bStep);
        }
      } catch {
        Atomics.store(c, S.Failed, 1);
      }
      Atomics.add(c, S.Finished, 1);
      Atomics.notify(c, S.Finished);
    }
  }
}
