/**
 * Dynamic batching: rows of concurrent requests to one operation of one model
 * are gathered into a single batch, run once, and split back. One forward
 * pass over 64 rows costs little more than over one, so under load the
 * throughput grows with the batch instead of queueing requests one by one.
 *
 * A batch runs when it holds `maxBatch` rows or `maxWaitMs` after its first
 * request arrived, whichever comes first. The operation must give each row an
 * answer that does not depend on the other rows of the batch.
 */
import type { Rows } from './service.js';
import { ModelService } from './service.js';

type Immediate = { setImmediate?: (fn: () => void) => unknown; clearImmediate?: (handle: unknown) => void };

/**
 * Run `fn` after `ms`, or with 0 after the I/O already waiting (Node's
 * setImmediate), so requests whose bodies arrived while a batch was computing
 * join the next one without a timer. Returns the cancel function.
 */
function schedule(fn: () => void, ms: number): () => void {
  const g = globalThis as Immediate;
  if (ms === 0 && g.setImmediate && g.clearImmediate) {
    const handle = g.setImmediate(fn);
    return () => g.clearImmediate!(handle);
  }
  const handle = setTimeout(fn, ms);
  return () => clearTimeout(handle);
}

export interface BatcherOptions {
  /** Rows per batch at most (a single larger request runs alone). */
  maxBatch: number;
  /** How long the first request of a batch waits for company. 0: only requests whose bodies have already arrived. */
  maxWaitMs: number;
  /** Told the row count of each batch run (metrics). */
  onBatch?: (rows: number) => void;
}

interface Pending {
  rows: Rows;
  resolve: (out: Float32Array) => void;
  reject: (err: unknown) => void;
}

export class Batcher {
  private pending: Pending[] = [];
  private pendingRows = 0;
  private cancel: (() => void) | undefined;

  constructor(
    /** The operation on a batch of rows: [n, width] row-major out. */
    private readonly run: (rows: Rows) => Float32Array,
    private readonly width: number,
    private readonly inWidth: number,
    private readonly options: BatcherOptions,
  ) {}

  submit(rows: Rows): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      if (this.pendingRows > 0 && this.pendingRows + rows.n > this.options.maxBatch) this.flush();
      this.pending.push({ rows, resolve, reject });
      this.pendingRows += rows.n;
      if (this.pendingRows >= this.options.maxBatch) this.flush();
      else this.cancel ??= schedule(() => this.flush(), this.options.maxWaitMs);
    });
  }

  /** Run what is waiting now. */
  flush(): void {
    this.cancel?.();
    this.cancel = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingRows = 0;
    try {
      const rows = batch.length === 1 ? batch[0]!.rows : ModelService.concat(batch.map((p) => p.rows), this.inWidth);
      this.options.onBatch?.(rows.n);
      const out = this.run(rows);
      const parts = ModelService.split(out, batch.map((p) => p.rows.n), this.width);
      batch.forEach((p, i) => p.resolve(parts[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
