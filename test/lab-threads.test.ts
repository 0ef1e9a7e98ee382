/**
 * The lab's matrix products on several threads: the page `latentkit lab`
 * serves is cross-origin isolated, its worker shares large products out to
 * nested module workers (helpers take panels), and every product has the
 * bits of the same product in a page told to use one thread (and is within
 * float32 rounding of a float64 product computed here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from 'playwright-core';
import { openLab, startLab, type Lab } from './lab-page.js';

let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
}, 60_000);

afterAll(async () => {
  await lab?.close();
});

/**
 * Products just large enough to be shared out (2·m·n·k ≥ 4·10⁶): a layer's
 * forward product, a weight gradient's Xᵀ·dY, and an A with every third
 * column zero (the compacted path); n leaves 4-wide and scalar columns over.
 */
const PRODUCTS = [
  { m: 64, k: 256, n: 139, transA: false, zeroEvery: 0 },
  { m: 256, k: 64, n: 136, transA: true, zeroEvery: 0 },
  { m: 64, k: 300, n: 108, transA: false, zeroEvery: 3 },
];
type Product = (typeof PRODUCTS)[number];

/** Seeded values in [-1, 1), as the page makes them too. */
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 31 - 1));
}

function operands({ m, k, n, transA, zeroEvery }: Product, seed: number): { a: Float32Array; b: Float32Array } {
  const a = seeded(m * k, seed);
  if (zeroEvery) for (let i = 0; i < m * k; i++) if ((i % k) % zeroEvery === 0) a[i] = 0;
  // Stored K×M when transposed: the same values, read the other way.
  return { a: transA ? transpose(a, m, k) : a, b: seeded(k * n, seed + 1) };
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/**
 * Each product in the lab's worker, repeated until helper threads have
 * taken panels of it (they start asynchronously; at most 20 s) when `shared`,
 * once otherwise. Returns the products' values and the helpers' panels.
 */
async function productsIn(worker: Worker, shared: boolean): Promise<{ values: number[][]; helperPanels: number[]; tensorsLeft: number }> {
  const inputs = PRODUCTS.map((p, i) => ({ ...p, ...operands(p, 11 * i + 1) })).map((p) => ({ ...p, a: Array.from(p.a), b: Array.from(p.b) }));
  return worker.evaluate(
    async ({ inputs, shared }) => {
      const { tf, products } = (self as unknown as { latentkitWorker: { tf: typeof import('@tensorflow/tfjs-core'); products: { helperPanels: number } } }).latentkitWorker;
      const before = tf.memory().numTensors;
      const values: number[][] = [];
      const helperPanels: number[] = [];
      for (const p of inputs) {
        const a = tf.tensor2d(p.a, p.transA ? [p.k, p.m] : [p.m, p.k]);
        const b = tf.tensor2d(p.b, [p.k, p.n]);
        const start = products.helperPanels;
        const deadline = Date.now() + 20_000;
        let out: Float32Array;
        do {
          out = tf.tidy(() => tf.matMul(a, b, p.transA, false).dataSync() as Float32Array);
          await new Promise((resolve) => setTimeout(resolve, 1));
        } while (shared && products.helperPanels === start && Date.now() < deadline);
        values.push(Array.from(out));
        helperPanels.push(products.helperPanels - start);
        tf.dispose([a, b]);
      }
      return { values, helperPanels, tensorsLeft: tf.memory().numTensors - before };
    },
    { inputs, shared },
  );
}

/** Largest |x − reference| over the largest |reference|, the reference op(A)·B in float64. */
function relativeError(values: number[], p: Product, seed: number): number {
  const { a, b } = operands(p, seed);
  const at = (i: number, q: number) => (p.transA ? a[q * p.m + i] : a[i * p.k + q]);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      let s = 0;
      for (let q = 0; q < p.k; q++) s += at(i, q) * b[q * p.n + j];
      diff = Math.max(diff, Math.abs(values[i * p.n + j] - s));
      scale = Math.max(scale, Math.abs(s));
    }
  }
  return diff / scale;
}

describe('the lab on several threads', () => {
  it('is cross-origin isolated, shares products out to helper workers, and gets one thread\'s bits', async () => {
    const threaded = await openLab(lab, 'backend=wasm');
    expect(await threaded.page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cores = await threaded.page.evaluate(() => navigator.hardwareConcurrency);
    expect(await threaded.page.locator('[data-testid=threads]').textContent()).toBe(`${cores} thread${cores === 1 ? '' : 's'}`);
    const shared = await productsIn(threaded.worker, true);
    // The helpers are nested module workers of the lab's worker.
    expect(threaded.page.workers().filter((w) => /gemm-worker/.test(w.url())).length).toBe(cores - 1);

    const single = await openLab(lab, 'backend=wasm&threads=1');
    expect(await single.page.locator('[data-testid=threads]').textContent()).toBe('1 thread');
    const alone = await productsIn(single.worker, false);

    PRODUCTS.forEach((p, i) => {
      expect(shared.helperPanels[i], `helper panels of product ${i}`).toBeGreaterThan(0);
      expect(alone.helperPanels[i]).toBe(0);
      expect(shared.values[i], `product ${i}`).toEqual(alone.values[i]);
      expect(relativeError(shared.values[i]!, p, 11 * i + 1)).toBeLessThan(1e-5);
    });
    expect([shared.tensorsLeft, alone.tensorsLeft]).toEqual([0, 0]);
    expect([...threaded.errors, ...single.errors]).toEqual([]);
  }, 60_000);

  it('falls back to one thread when the page is not cross-origin isolated', async () => {
    const page = await lab.browser.newPage();
    // The same files without the isolation headers.
    await page.route('**/*', async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['cross-origin-opener-policy'];
      delete headers['cross-origin-embedder-policy'];
      await route.fulfill({ response, headers });
    });
    await page.goto(`${lab.url}/?backend=wasm`);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'ready', null, { timeout: 60_000 });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    expect(await page.locator('[data-testid=threads]').textContent()).toBe('1 thread');
    await page.close();
  }, 60_000);
});
