/**
 * The SIMD product on several threads (Node): the column panels of C are
 * shared out among the main thread and helper threads, which all run the
 * same generated module on one shared WebAssembly memory.
 *
 * The tfjs wasm backend's own memory is not shared (its threaded build does
 * not start in Node), so operands are copied in and the result copied back:
 * ~0.2 ms for a 128×784·784×400 product, which then takes ~1 ms on two
 * threads instead of ~1.8 ms on one.
 *
 * Panels are taken one at a time from a shared counter, not split in fixed
 * shares: on this VM a helper takes 0.1-0.4 ms to start on a product even
 * while it spins (its core is also where the system and V8's own threads
 * run), and with fixed shares the main thread waited that long for it on
 * every product. The helpers are woken before the operands are copied in,
 * spin briefly between products and then sleep on Atomics.wait; they are
 * unref'd, so they never keep a process alive.
 */
import { Worker } from 'node:worker_threads';
import { prepareA, runPanels8, runTail, scratchBytes, type GemmProblem } from '../../core/backend/kernels/gemm/gemm.js';
import { gemmModuleBytes, SHARED_MAXIMUM_PAGES, type SimdGemm } from '../../core/backend/kernels/gemm/simd_gemm.js';

/** Int32 slots of the control block. */
const enum Slot {
  /** The number of the current product, bumped by the main thread to start one. */
  Start = 0,
  /** Panels the helpers finished in the current product (reset per product). */
  Finished = 1,
  /** Set by a helper that failed. */
  Failed = 2,
  // The product, in shared-memory byte offsets: packed A, B, C, bias (0: none).
  A = 3,
  B = 4,
  C = 5,
  Bias = 6,
  M = 7,
  N = 8,
  K = 9,
  Activation = 10,
  /** Float32 bits of the LeakyReLU slope. */
  Alpha = 11,
  /** Panels of 8 columns in all. */
  Panels = 12,
  /** The next panel to take, as a ticket: (product number & 0x7fff) << 16 | panel. */
  Next = 13,
  /** 1 when A is compacted: the panels read step offsets at Idx and counts at Counts. */
  Sparse = 14,
  Idx = 15,
  Counts = 16,
  Size = 20,
}

/** The panel part of a ticket while a product's operands are copied in, and once it is closed: no panel is that high. */
const PENDING = 0xfffe;
const CLOSED = 0xffff;
const ticket = (product: number, panel: number) => ((product & 0x7fff) << 16) | panel;

/**
 * Runs in each helper. For every product: read its parameters, then take
 * panels one at a time from the shared ticket until none is left. A ticket
 * carries the product's number, so a helper that wakes late, or read the
 * parameters while the next product was being posted, takes nothing (its
 * compare-exchange fails or finds the product closed) and waits again.
 */
const HELPER = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, spinMs } = workerData;
const fns = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(control);
const f = new Float32Array(control);
// Products are counted from 0, so one posted while this thread was starting is not missed.
let seen = 0;
for (;;) {
  const spinStart = performance.now();
  while (Atomics.load(c, ${Slot.Start}) === seen && performance.now() - spinStart < spinMs) {
    for (let spin = 0; spin < 1000 && Atomics.load(c, ${Slot.Start}) === seen; spin++);
  }
  while (Atomics.load(c, ${Slot.Start}) === seen) Atomics.wait(c, ${Slot.Start}, seen);
  seen = Atomics.load(c, ${Slot.Start});
  const tag = (seen & 0x7fff) << 16;
  // Woken before the operands are copied in: wait for the product to open (or to be over).
  let t = Atomics.load(c, ${Slot.Next});
  for (const openStart = performance.now(); t === (tag | ${PENDING}); t = Atomics.load(c, ${Slot.Next})) {
    if (performance.now() - openStart > spinMs) Atomics.wait(c, ${Slot.Next}, t);
  }
  if ((t & 0x7fff0000) !== tag) continue;
  const n = c[${Slot.N}], panels = c[${Slot.Panels}], sparse = c[${Slot.Sparse}] === 1;
  const a = c[${Slot.A}], b = c[${Slot.B}], cc = c[${Slot.C}], bias = c[${Slot.Bias}], k = c[${Slot.K}], m = c[${Slot.M}];
  const act = c[${Slot.Activation}], alpha = f[${Slot.Alpha}], idx = c[${Slot.Idx}], counts = c[${Slot.Counts}];
  for (;;) {
    t = Atomics.load(c, ${Slot.Next});
    if ((t & 0x7fff0000) !== tag || (t & 0xffff) >= panels) break;
    if (Atomics.compareExchange(c, ${Slot.Next}, t, t + 1) !== t) continue;
    try {
      const j = 8 * (t & 0xffff);
      const args = [a, b + 4 * j, cc + 4 * j, bias && bias + 4 * j, k, 0, 4 * n, 4 * n, act, alpha, m];
      if (sparse) fns.panel8sparse(...args, idx, counts);
      else fns.panel8(...args);
    } catch (err) {
      Atomics.store(c, ${Slot.Failed}, 1);
    }
    Atomics.add(c, ${Slot.Finished}, 1);
    Atomics.notify(c, ${Slot.Finished});
  }
}
`;

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
  private readonly workers: Worker[] = [];

  /** `threads` in all, counting the calling thread (≥ 2). */
  constructor(readonly threads: number) {
    if (!(Number.isInteger(threads) && threads >= 2)) throw new Error(`GemmThreads: needs at least 2 threads, got ${threads}`);
    this.memory = new WebAssembly.Memory({ initial: 64, maximum: SHARED_MAXIMUM_PAGES, shared: true });
    const module = new WebAssembly.Module(gemmModuleBytes(true) as unknown as ArrayBuffer);
    this.fns = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as SimdGemm;
    for (let h = 1; h < threads; h++) {
      const worker = new Worker(HELPER, { eval: true, workerData: { module, memory: this.memory, control: this.control.buffer, spinMs: HELPER_SPIN_MS } });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /**
   * Worth the copies and the hand-off: enough 8-column panels to share out,
   * enough work in each, and operands that fit the shared memory's budget
   * (it only grows, so a huge product stays on the calling thread).
   */
  static worthSharing(m: number, n: number, k: number, threads: number): boolean {
    const bytes = 4 * (m * k + k * n + m * n + n) + scratchBytes(m, k);
    return n >= 8 * threads && n / 8 < PENDING && 2 * m * n * k >= 4e6 && bytes <= SHARED_BUDGET_BYTES;
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
    // Shared layout: A as stored | B | C | bias | scratch (packed A and its compacted copy).
    const sizes = [4 * m * k, 4 * k * n, 4 * m * n, p.bias ? 4 * n : 0, scratchBytes(m, k)];
    const at: number[] = [];
    let end = 0;
    for (const s of sizes) {
      at.push(end);
      end += Math.ceil(s / 16) * 16;
    }
    this.reserve(end);
    const shared = new Uint8Array(this.memory.buffer);
    const source = new Uint8Array(heap);
    shared.set(source.subarray(p.a, p.a + sizes[0]), at[0]);
    shared.set(source.subarray(p.b, p.b + sizes[1]), at[1]);
    if (p.bias) shared.set(source.subarray(p.bias, p.bias + sizes[3]), at[3]);
    const local: GemmProblem = { ...p, a: at[0], b: at[1], c: at[2], bias: p.bias ? at[3] : 0 };
    const a = prepareA(this.fns, this.memory, local, at[4]);

    const panels = Math.floor(n / 8);
    c[Slot.A] = a.at;
    c[Slot.B] = local.b;
    c[Slot.C] = local.c;
    c[Slot.Bias] = local.bias;
    c[Slot.M] = m;
    c[Slot.N] = n;
    c[Slot.K] = k;
    c[Slot.Activation] = p.activation;
    new Float32Array(c.buffer)[Slot.Alpha] = p.alpha;
    c[Slot.Panels] = panels;
    c[Slot.Sparse] = a.sparse ? 1 : 0;
    c[Slot.Idx] = a.idx;
    c[Slot.Counts] = a.counts;
    Atomics.store(c, Slot.Finished, 0);
    Atomics.store(c, Slot.Next, ticket(product, 0));
    Atomics.notify(c, Slot.Next);

    // The columns past the last full panel, then panels as long as any is left: a helper
    // that wakes late costs nothing but its share of the work.
    let taken = 0;
    try {
      runTail(this.fns, this.memory, a, local);
      for (;;) {
        const panel = Atomics.add(c, Slot.Next, 1) & 0xffff;
        if (panel >= panels) break;
        taken++;
        runPanels8(this.fns, a, local, panel, panel + 1);
      }
    } finally {
      // Closed, so no helper takes a panel of this product once the next one is being
      // posted (see HELPER); then wait for the panels the helpers took.
      const last = Atomics.exchange(c, Slot.Next, ticket(product, CLOSED)) & 0xffff;
      Atomics.notify(c, Slot.Next);
      this.waitForHelpers(Math.min(last, panels) - taken);
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
