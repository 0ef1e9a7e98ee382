/**
 * The SIMD product on several threads (Node): the column panels of C are
 * shared out among the main thread and helper threads, which all run the
 * same generated module on one shared WebAssembly memory.
 *
 * The tfjs wasm backend's own memory is not shared (its threaded build does
 * not start in Node), so operands are copied in and the result copied back:
 * ~0.2 ms for a 128×784·784×400 product, which then takes ~1 ms on two
 * threads instead of ~1.9 ms on one. Helper threads spin briefly and then
 * sleep on Atomics.wait between products; they are unref'd, so they never
 * keep a process alive.
 */
import { Worker } from 'node:worker_threads';
import { prepareA, runPanels8, runTail, scratchBytes, type GemmProblem } from './gemm.js';
import { gemmModuleBytes, SHARED_MAXIMUM_PAGES, type SimdGemm } from './simd_gemm.js';

/** Int32 slots of the control block. */
const enum Slot {
  /** Bumped by the main thread to start a product. */
  Start = 0,
  /** Helpers that finished the current product (reset per product). */
  Done = 1,
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
  /** Panels of 8 columns in all; helper h takes its share of them. */
  Panels = 12,
  Threads = 13,
  /** 1 when A is compacted: the panels read step offsets at Idx and counts at Counts. */
  Sparse = 14,
  Idx = 15,
  Counts = 16,
  Size = 20,
}

/** Runs in each helper: take the panels [h·P/T, (h+1)·P/T) of every product, forever. */
const HELPER = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, h } = workerData;
const fns = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(control);
const f = new Float32Array(control);
// Products are counted from 0, so one posted while this thread was starting is not missed.
let seen = 0;
for (;;) {
  for (let spin = 0; Atomics.load(c, ${Slot.Start}) === seen && spin < 200000; spin++);
  while (Atomics.load(c, ${Slot.Start}) === seen) Atomics.wait(c, ${Slot.Start}, seen);
  seen = Atomics.load(c, ${Slot.Start});
  try {
    const n = c[${Slot.N}], panels = c[${Slot.Panels}], threads = c[${Slot.Threads}];
    const from = Math.floor((h * panels) / threads), to = Math.floor(((h + 1) * panels) / threads);
    const sparse = c[${Slot.Sparse}] === 1;
    for (let p = from; p < to; p++) {
      const j = 8 * p, bias = c[${Slot.Bias}];
      const args = [c[${Slot.A}], c[${Slot.B}] + 4 * j, c[${Slot.C}] + 4 * j, bias && bias + 4 * j, c[${Slot.K}], 0, 4 * n, 4 * n, c[${Slot.Activation}], f[${Slot.Alpha}], c[${Slot.M}]];
      if (sparse) fns.panel8sparse(...args, c[${Slot.Idx}], c[${Slot.Counts}]);
      else fns.panel8(...args);
    }
  } catch (err) {
    Atomics.store(c, ${Slot.Failed}, 1);
  }
  Atomics.add(c, ${Slot.Done}, 1);
  Atomics.notify(c, ${Slot.Done});
}
`;

/** The most the shared memory grows to for one product (operands, result, packed A). */
const SHARED_BUDGET_BYTES = 256 * 2 ** 20;

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
      const worker = new Worker(HELPER, { eval: true, workerData: { module, memory: this.memory, control: this.control.buffer, h } });
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
    return n >= 8 * threads && 2 * m * n * k >= 4e6 && bytes <= SHARED_BUDGET_BYTES;
  }

  /**
   * C = act(op(A)·B + bias) for operands at byte offsets of `heap` (another
   * memory, e.g. the tfjs wasm heap); C is written back there.
   */
  run(heap: ArrayBuffer, p: GemmProblem): void {
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
    const c = this.control;
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
    c[Slot.Threads] = this.threads;
    c[Slot.Sparse] = a.sparse ? 1 : 0;
    c[Slot.Idx] = a.idx;
    c[Slot.Counts] = a.counts;
    Atomics.store(c, Slot.Done, 0);
    Atomics.add(c, Slot.Start, 1);
    Atomics.notify(c, Slot.Start);

    // This thread's share: the first panels, then the columns past the last full panel.
    runPanels8(this.fns, a, local, 0, Math.floor(panels / this.threads));
    runTail(this.fns, this.memory, a, local);
    this.waitForHelpers();
    new Uint8Array(heap).set(new Uint8Array(this.memory.buffer, at[2], sizes[2]), p.c);
  }

  private waitForHelpers(): void {
    const c = this.control;
    const helpers = this.threads - 1;
    for (let spin = 0; Atomics.load(c, Slot.Done) < helpers && spin < 200000; spin++);
    const deadline = Date.now() + TIMEOUT_MS;
    for (let done = Atomics.load(c, Slot.Done); done < helpers; done = Atomics.load(c, Slot.Done)) {
      if (Date.now() > deadline) throw new Error('latentkit: a matrix-product helper thread stopped answering');
      Atomics.wait(c, Slot.Done, done, 1000);
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
