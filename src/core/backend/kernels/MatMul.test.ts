/**
 * latentkit's SIMD BatchMatMul / _FusedMatMul for wasm, against products
 * computed here in float64 (an independent answer) and against the cpu
 * backend, values and gradients, on shapes that hit every edge of the
 * tiling: rows not a multiple of 4, columns not a multiple of 8 or 4, k = 0,
 * batches, broadcast batches, every activation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers gradient functions
import { installLatentkitWasmKernels } from './register.js';
import { gemmCodegen, gemmModuleBytes, type SimdGemm } from './gemm/simd_gemm.js';
import { byRowBlocks, gemm, gemmSettings, prepareA, scratchBytes } from './gemm/gemm.js';
import { installComputeThreads, setComputeThreads } from '../../../node/backend/threads.js';
import { enableRelaxedSimd } from '../../../node/backend/index.js';
import { hasRelaxedSimd } from '../wasm/features.js';
import { seeded, size } from './kernels.test-helpers.js';

/** op(A)·op(B) for 2-D row-major operands, in float64. */
function reference(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], ta: boolean, tb: boolean): Float64Array {
  const [m, k] = ta ? [aShape[1], aShape[0]] : aShape;
  const n = tb ? bShape[0] : bShape[1];
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += a[ta ? q * m + i : i * k + q] * b[tb ? j * k + q : q * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

/** Largest |x − y| relative to the scale of the reference. */
function relErr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let diff = 0;
  let scale = 1e-30;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / scale;
}

async function on<T>(backend: 'cpu' | 'wasm', fn: () => T): Promise<T> {
  await tf.setBackend(backend);
  return fn();
}

beforeAll(async () => {
  // As initBackend does: every product below runs on the fused multiply-add module.
  enableRelaxedSimd({});
  await tf.setBackend('wasm');
  await tf.ready();
  installLatentkitWasmKernels();
});

describe('the generated module', () => {
  it('compiles, and the kernels in use are latentkit\'s (not the backend\'s own)', () => {
    expect(WebAssembly.validate(gemmModuleBytes() as unknown as ArrayBuffer)).toBe(true);
    // The installed kernelFunc is the fallback wrapper defined in MatMul.ts, not tfjs-backend-wasm's.
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc.toString()).toMatch(/simdGemmFor/);
    expect(tf.getKernel('_FusedMatMul', 'wasm')!.kernelFunc.toString()).toMatch(/simdGemmFor/);
  });

  it('fuses multiply-adds: Node 20 gets relaxed SIMD switched on, and the generated module uses it', () => {
    expect(hasRelaxedSimd()).toBe(true);
    expect(gemmCodegen().fma).toBe(true);
  });

  // The module an engine without relaxed SIMD gets, against the fused one, on a memory of their own.
  const modules = () => {
    const memory = new WebAssembly.Memory({ initial: 256 });
    const make = (fma: boolean) => new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes(false, { fma }) as unknown as ArrayBuffer), { env: { memory } }).exports as unknown as SimdGemm;
    return { memory, plain: make(false), fused: make(true) };
  };
  for (const [m, k, n, ta] of [[13, 77, 21, false], [40, 128, 36, true], [5, 300, 8, false]] as const) {
    it(`${m}×${k}·${k}×${n}${ta ? ' (A transposed)' : ''}: unfused and fused modules both match float64, and differ only in rounding`, () => {
      const { memory, plain, fused } = modules();
      const aShape = ta ? [k, m] : [m, k];
      const a = seeded(m * k, m + k);
      const b = seeded(k * n, n);
      const heap = new Float32Array(memory.buffer);
      heap.set(a, 0);
      heap.set(b, m * k);
      const p = { a: 0, b: 4 * m * k, c: 4 * (m * k + k * n), bias: 0, m, n, k, transA: ta, activation: 0, alpha: 0 };
      const scratch = p.c + 4 * m * n;
      expect(scratch + scratchBytes(m, k, n)).toBeLessThan(memory.buffer.byteLength);
      const run = (fns: SimdGemm) => {
        gemm(fns, memory, p, scratch);
        return new Float32Array(memory.buffer, p.c, m * n).slice();
      };
      const want = reference(a, aShape, b, [k, n], ta, false);
      const [unfused, withFma] = [run(plain), run(fused)];
      expect(relErr(unfused, want)).toBeLessThan(1e-5);
      expect(relErr(withFma, want)).toBeLessThan(1e-5);
      // One rounding per multiply-add instead of two: some last bits differ (this CPU has FMA).
      expect(Array.from(withFma)).not.toEqual(Array.from(unfused));
    });
  }
});

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 7], [4, 8, 8], [5, 3, 12], [13, 17, 9], [6, 1, 10], [2, 9, 3], [33, 64, 20], [128, 784, 40], [5, 0, 6],
];

describe('BatchMatMul on wasm', () => {
  for (const [m, k, n] of SHAPES) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`${m}×${k}·${k}×${n}, transposeA ${ta}, transposeB ${tb}: float64 reference`, async () => {
        const aShape = ta ? [k, m] : [m, k];
        const bShape = tb ? [n, k] : [k, n];
        const a = seeded(size(aShape), m * 31 + k);
        const b = seeded(size(bShape), n * 17 + k + 1);
        const got = await on('wasm', () => tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb).dataSync()));
        const want = reference(a, aShape, b, bShape, ta, tb);
        if (k === 0) expect(Array.from(got)).toEqual(Array.from(want));
        else expect(relErr(got, want)).toBeLessThan(1e-5);
      });
    }
  }

  it('batched operands broadcast like explicitly tiled ones (cpu, same leading shape)', async () => {
    // tf.broadcastTo makes both operands full-size first, so the reference never broadcasts
    // inside a product (the cpu and wasm backends' own kernels get [2,1]×[1,3] batches wrong).
    const [m, k, n] = [7, 11, 13];
    const cases: [number[], number[], number[]][] = [
      [[3, m, k], [3, k, n], [3]], [[3, m, k], [k, n], [3]], [[m, k], [2, k, n], [2]], [[2, 3, m, k], [2, 3, k, n], [2, 3]],
      [[1, m, k], [4, k, n], [4]], [[2, 1, m, k], [1, 3, k, n], [2, 3]], [[2, 1, m, k], [3, k, n], [2, 3]],
    ];
    for (const [aShape, bShape, outer] of cases) {
      const a = seeded(size(aShape), 5);
      const b = seeded(size(bShape), 6);
      const got = await on('wasm', () => tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape)).dataSync()));
      const want = await on('cpu', () =>
        tf.tidy(() => tf.matMul(tf.broadcastTo(tf.tensor(a, aShape), [...outer, m, k]), tf.broadcastTo(tf.tensor(b, bShape), [...outer, k, n])).dataSync()),
      );
      expect(got.length).toBe(size([...outer, m, n]));
      expect(relErr(got, want)).toBeLessThan(1e-5);
    }
  });

  it('batched transposed B (each matrix transposed on its own, edges not multiples of 4): same as cpu', async () => {
    for (const [m, k, n] of [[7, 11, 13], [8, 16, 12], [5, 4, 3]]) {
      const aShape = [2, 3, m, k];
      const bShape = [3, n, k];
      const a = seeded(size(aShape), m);
      const b = seeded(size(bShape), n);
      const got = await on('wasm', () => tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), false, true).dataSync()));
      const want = await on('cpu', () => tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.broadcastTo(tf.tensor(b, bShape), [2, 3, n, k]), false, true).dataSync()));
      expect(relErr(got, want)).toBeLessThan(1e-5);
    }
  });

  it('leaves no tensor data behind (scratch and transposed copies are freed)', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor(seeded(9 * 10, 1), [9, 10]);
    const b = tf.tensor(seeded(11 * 10, 2), [11, 10]);
    const bias = tf.zeros([11]);
    tf.matMul(a, b, false, true).dispose();
    const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 5; i++) {
      tf.matMul(a, b, false, true).dispose();
      tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'sigmoid' }).dispose();
    }
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(tf.engine().backend.numDataIds()).toBe(before.data);
    tf.dispose([a, b, bias]);
  });
});

describe('_FusedMatMul on wasm', () => {
  const activations = ['linear', 'relu', 'leakyrelu', 'relu6', 'sigmoid', 'elu', 'prelu'] as const;
  for (const activation of activations) {
    for (const alpha of activation === 'leakyrelu' ? [0.2, 1.5] : [undefined]) {
      it(`bias + ${activation}${alpha != null ? ` (α ${alpha})` : ''}, all transposes: same as cpu`, async () => {
        const [m, k, n] = [10, 21, 13];
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const aShape = ta ? [k, m] : [m, k];
          const bShape = tb ? [n, k] : [k, n];
          const run = () =>
            tf.tidy(() =>
              tf.fused
                .matMul({
                  a: tf.tensor(seeded(size(aShape), 3), aShape),
                  b: tf.tensor(seeded(size(bShape), 4), bShape),
                  transposeA: ta,
                  transposeB: tb,
                  bias: tf.tensor(seeded(n, 5), [n]),
                  activation,
                  preluActivationWeights: activation === 'prelu' ? tf.tensor(seeded(n, 6), [n]) : undefined,
                  leakyreluAlpha: alpha,
                })
                .dataSync(),
            );
          expect(relErr(await on('wasm', run), await on('cpu', run))).toBeLessThan(1e-5);
        }
      });
    }
  }

  it('ReLU keeps NaN and sends −∞ to 0, as TensorFlow.js does', async () => {
    const a = new Float32Array([NaN, 1, -Infinity, 1, 2, 1, -2, 1, 0, 1]);
    const run = () => tf.tidy(() => Array.from(tf.fused.matMul({ a: tf.tensor(a, [5, 2]), b: tf.tensor([1, 0], [2, 1]), activation: 'relu' }).dataSync()));
    expect(await on('wasm', run)).toEqual([NaN, 0, 2, 0, 0]);
    expect(await on('cpu', run)).toEqual([NaN, 0, 2, 0, 0]);
  });

  it('gradients of a dense layer (x·W + b, then ReLU) match the cpu backend', async () => {
    const [m, k, n] = [9, 30, 17];
    const grads = () =>
      tf.tidy(() => {
        const x = tf.tensor(seeded(m * k, 7), [m, k]);
        const w = tf.tensor(seeded(k * n, 8), [k, n]);
        const bias = tf.tensor(seeded(n, 9), [n]);
        const weights = tf.tensor(seeded(m * n, 10), [m, n]);
        const f = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) => tf.sum(tf.mul(tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation: 'relu' }), weights));
        return tf.grads(f)([x, w, bias]).map((g) => g.dataSync());
      });
    const [wasm, cpu] = [await on('wasm', grads), await on('cpu', grads)];
    wasm.forEach((g, i) => expect(relErr(g, cpu[i])).toBeLessThan(1e-5));
  });
});

describe('products shared across threads (setComputeThreads(2))', () => {
  beforeAll(() => {
    installComputeThreads();
    setComputeThreads(2);
  });

  // Large enough to be shared out (2·m·n·k ≥ 4·10⁶); n leaves a 4-wide panel and scalar columns over.
  const BIG: [number, number, number][] = [[100, 400, 64], [37, 333, 167], [130, 129, 75]];
  for (const [m, k, n] of BIG) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) {
      it(`${m}×${k}·${k}×${n}, transposeA ${ta}, transposeB ${tb}, with bias and ReLU: float64 reference`, async () => {
        const aShape = ta ? [k, m] : [m, k];
        const bShape = tb ? [n, k] : [k, n];
        const a = seeded(size(aShape), m + k);
        const b = seeded(size(bShape), n + 3);
        const bias = seeded(n, 9);
        const got = await on('wasm', () => tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(a, aShape as [number, number]), b: tf.tensor2d(b, bShape as [number, number]), transposeA: ta, transposeB: tb, bias: tf.tensor(bias), activation: 'relu' }).dataSync()));
        const want = reference(a, aShape, b, bShape, ta, tb).map((x, i) => Math.max(0, x + bias[i % n]));
        expect(relErr(got, want)).toBeLessThan(1e-5);
      });
    }
  }

  it('gives the same bits as one thread (each column is computed the same way), batched too', async () => {
    const a = tf.tensor(seeded(3 * 64 * 300, 1), [3, 64, 300]);
    const b = tf.tensor(seeded(300 * 200, 2), [300, 200]);
    const shared = tf.matMul(a, b).dataSync();
    setComputeThreads(1);
    const alone = tf.matMul(a, b).dataSync();
    setComputeThreads(2);
    expect(Array.from(shared)).toEqual(Array.from(alone));
    tf.dispose([a, b]);
  });

  it('back-to-back products of different shapes, with and without pauses, each give one thread\'s bits', async () => {
    // Panels are taken from a ticket that names the product: a helper that wakes late, or reads a
    // product's parameters while the next is being posted, must take nothing from the wrong one.
    const shapes: [number, number, number][] = [[128, 200, 96], [40, 400, 160], [64, 64, 1000], [9, 700, 72]];
    const operands = shapes.map(([m, k, n], i) => [tf.tensor2d(seeded(m * k, i + 1), [m, k]), tf.tensor2d(seeded(k * n, i + 7), [k, n])] as const);
    setComputeThreads(1);
    const alone = operands.map(([a, b]) => tf.matMul(a, b).dataSync());
    setComputeThreads(2);
    for (let round = 0; round < 60; round++) {
      const i = (round * 7) % shapes.length;
      if (round % 5 === 0) await new Promise((resolve) => setTimeout(resolve, round % 10 === 0 ? 3 : 0));
      const got = tf.tidy(() => tf.matMul(operands[i][0], operands[i][1]).dataSync());
      expect(Array.from(got), `round ${round}, shape ${shapes[i].join('×')}`).toEqual(Array.from(alone[i]));
    }
    tf.dispose(operands.flat());
  });
});

describe('tall products by row blocks, B packed into panels (turned on its side when stored transposed)', () => {
  // Packed A over 512 KiB and B under it: run by row blocks. n = 44 leaves a 4-column panel,
  // 37 that and one scalar column; 1001 rows a partial block of rows.
  const SHAPES: [number, number, number][] = [[1000, 150, 36], [1001, 140, 44], [1200, 111, 37]];
  const settings = [
    { rowBlocks: true, packB: true },
    { rowBlocks: true, packB: false },
    { rowBlocks: false, packB: true },
  ] as const;
  for (const [m, k, n] of SHAPES) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) {
      it(`${m}×${k}·${k}×${n}, transposeA ${ta}, transposeB ${tb}: float64 reference, and the same bits by panels or row blocks, B packed or not, on 1 or 2 threads`, async () => {
        expect(byRowBlocks(m, n, k)).toBe(true);
        installComputeThreads();
        const aShape = ta ? [k, m] : [m, k];
        const bShape = tb ? [n, k] : [k, n];
        const a = seeded(size(aShape), m + k);
        const b = seeded(k * n, n + 5);
        const bias = seeded(n, 2);
        const product = () => tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(a, aShape as [number, number]), b: tf.tensor2d(b, bShape as [number, number]), transposeA: ta, transposeB: tb, bias: tf.tensor(bias), activation: 'relu' }).dataSync());
        setComputeThreads(1);
        Object.assign(gemmSettings, { rowBlocks: false, packB: false });
        const plain = await on('wasm', product);
        try {
          for (const threads of [1, 2]) {
            setComputeThreads(threads);
            for (const s of settings) {
              Object.assign(gemmSettings, s);
              expect(Array.from(await on('wasm', product)), `${threads} thread(s), ${JSON.stringify(s)}`).toEqual(Array.from(plain));
            }
          }
        } finally {
          Object.assign(gemmSettings, { rowBlocks: true, packB: 'auto' });
          setComputeThreads(1);
        }
        const want = reference(a, aShape, b, bShape, ta, tb).map((x, i) => Math.max(0, x + bias[i % n]));
        expect(relErr(plain, want)).toBeLessThan(1e-5);
      });
    }
  }
});

/**
 * Values of `seeded` (shape [rows, cols]) with zeros in runs along the storage order, and every value
 * whose k index (its column, or its row when the operand is stored transposed) is 1 or 2 mod 5: zeros
 * that line up across rows, as MNIST's background does.
 */
function withZeros(rows: number, cols: number, seed: number, transposed: boolean): Float32Array {
  const x = seeded(rows * cols, seed);
  for (let i = 0; i < x.length; i++) {
    const kIndex = transposed ? Math.floor(i / cols) : i % cols;
    if (Math.abs(Math.sin(i * 0.013 + seed)) < 0.5 || kIndex % 5 === 1 || kIndex % 5 === 2) x[i] = 0;
  }
  return x;
}

describe('A with many zeros (all-zero blocks of k-steps left out)', () => {
  const SHAPES: [number, number, number][] = [[128, 784, 40], [13, 64, 24], [7, 33, 12], [130, 129, 75], [6, 16, 9]];
  for (const threads of [1, 2]) {
    for (const [m, k, n] of SHAPES) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) {
        it(`${threads} thread(s), ${m}×${k}·${k}×${n}, transposeA ${ta}, transposeB ${tb}: float64 reference, and the same bits as the dense path`, async () => {
          installComputeThreads();
          setComputeThreads(threads);
          const aShape = ta ? [k, m] : [m, k];
          const bShape = tb ? [n, k] : [k, n];
          const a = withZeros(aShape[0], aShape[1], m + k, ta);
          const b = seeded(size(bShape), n + 5);
          const bias = seeded(n, 2);
          const product = () => tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(a, aShape as [number, number]), b: tf.tensor2d(b, bShape as [number, number]), transposeA: ta, transposeB: tb, bias: tf.tensor(bias), activation: 'relu' }).dataSync());
          const skipped = await on('wasm', product);
          gemmSettings.skipZeroBlocks = false;
          const dense = await on('wasm', product);
          gemmSettings.skipZeroBlocks = true;
          const want = reference(a, aShape, b, bShape, ta, tb).map((x, i) => Math.max(0, x + bias[i % n]));
          expect(relErr(skipped, want)).toBeLessThan(1e-5);
          expect(Array.from(skipped)).toEqual(Array.from(dense));
        });
      }
    }
  }

  it('compacts A when its zeros line up in blocks, not for a ReLU output\'s scattered zeros', () => {
    const memory = new WebAssembly.Memory({ initial: 64 });
    const fns = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes(false, { fma: true }) as unknown as ArrayBuffer), { env: { memory } }).exports as unknown as SimdGemm;
    const [m, k, n] = [128, 200, 16];
    const prepared = (a: Float32Array, transA: boolean) => {
      new Float32Array(memory.buffer).set(a, 0);
      return prepareA(fns, memory, { a: 0, b: 4 * m * k, c: 0, bias: 0, m, n, k, transA, activation: 0, alpha: 0 }, 4 * (m * k + k * n), 4 * n);
    };
    // Zeros in whole k-columns (MNIST's background): 40% of the steps skip.
    expect(prepared(withZeros(m, k, 3, false), false).sparse).toBe(true);
    expect(prepared(withZeros(k, m, 3, true), true).sparse).toBe(true);
    // Half the values zero, independently (a ReLU layer): ~6% of 4-row blocks are all zero.
    const relu = seeded(m * k, 4).map((v) => Math.max(0, v));
    expect(prepared(relu, false).sparse).toBe(false);
    expect(prepared(new Float32Array(m * k).fill(1), false).sparse).toBe(false);
  });

  it('an all-zero A gives act(bias) in every row', async () => {
    setComputeThreads(1);
    const got = await on('wasm', () => tf.tidy(() => tf.fused.matMul({ a: tf.zeros([9, 40]) as tf.Tensor2D, b: tf.tensor2d(seeded(40 * 12, 1), [40, 12]), bias: tf.tensor(seeded(12, 3)), activation: 'relu' }).dataSync()));
    const bias = seeded(12, 3);
    expect(Array.from(got)).toEqual(Array.from({ length: 9 * 12 }, (_, i) => Math.max(0, bias[i % 12])));
  });
});

describe('addInto', () => {
  it('adds one array into another, four at a time and the last few one by one, as float32 addition does', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const fns = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes(false, { fma: true }) as unknown as ArrayBuffer), { env: { memory } }).exports as unknown as SimdGemm;
    for (const count of [0, 1, 3, 4, 7, 37]) {
      const [dst, src] = [seeded(40, count + 1), seeded(40, count + 2)];
      const heap = new Float32Array(memory.buffer);
      heap.set(dst, 0);
      heap.set(src, 64);
      fns.addInto(0, 4 * 64, count);
      const want = dst.map((v, i) => (i < count ? Math.fround(v + src[i]) : v));
      expect(Array.from(heap.subarray(0, 40)), `count ${count}`).toEqual(Array.from(want));
    }
  });
});
