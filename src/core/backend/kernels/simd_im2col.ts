/**
 * im2col and col2im (see conv_util.ts) as hand-assembled WebAssembly on the
 * tfjs wasm backend's heap: the same loops as the JavaScript versions there,
 * with each run of a filter row (fW·inC contiguous floats in NHWC, less the
 * taps over the left or right padding) moved sixteen bytes at a time by
 * v128 loads and stores, and its last 0-3 floats one at a time.
 *
 *   im2col(x, out, nb, inH, inW, inC, outH, outW, fH, fW, sH, sW, padTop, padLeft, rowStride)
 *     out row (b, oh, ow), column (kh, kw, ci) = x[b, oh·sH + kh − padTop, ow·sW + kw − padLeft, ci],
 *     0 over the padding; columns past K of a row left alone;
 *   col2im(cols, dx, nb, …the same geometry…, rowStride)
 *     dx[b, ih, iw, ci] += every cols entry that im2col would have read from there,
 *     in the order of the rows (so the sums round as the JavaScript loop's do).
 *
 * x, out, cols and dx are byte offsets; rowStride counts floats (≥ K).
 * Images are NHWC float32 and the first of `nb` sits at the offset given.
 */
import type { backend_util } from '@tensorflow/tfjs-core';
import { I32, instantiateOn, Locals, moduleBytes, op, type FunctionSpec, type ValueType } from '../wasm/assembler.js';

/** The geometry parameters after the two pointers, in order. */
const GEOMETRY = ['nb', 'inH', 'inW', 'inC', 'outH', 'outW', 'fH', 'fW', 'sH', 'sW', 'padTop', 'padLeft', 'rowStride'] as const;
type Geometry = Record<(typeof GEOMETRY)[number], number>;

/** Parameter indices: SRC and DST pointers, then the geometry. */
const SRC = 0;
const DST = 1;
const P = Object.fromEntries(GEOMETRY.map((name, i) => [name, 2 + i])) as Geometry;
const PARAMS: ValueType[] = Array<ValueType>(2 + GEOMETRY.length).fill(I32);

const add = (a: number, b: number) => [...op.get(a), ...op.get(b), ...op.i32Add];
const mul = (a: number, b: number) => [...op.get(a), ...op.get(b), ...op.i32Mul];
const increment = (v: number, by: number[]) => [...op.get(v), ...by, ...op.i32Add, ...op.set(v)];

/** for (v = 0; v < end; v++) body — `end` a local. */
function forUpTo(v: number, end: number, body: number[]): number[] {
  return [
    ...op.i32(0), ...op.set(v),
    ...op.block, ...op.loop, ...op.get(v), ...op.get(end), ...op.i32GeS, ...op.brIf(1),
    ...body,
    ...increment(v, op.i32(1)), ...op.br(0), ...op.end, ...op.end,
  ];
}

/** for (i = 0; i + width ≤ len; i += width) step — `len` bytes in a local. */
function overBytes(i: number, len: number, width: number, step: number[]): number[] {
  return [
    ...op.block, ...op.loop, ...op.get(i), ...op.i32(width), ...op.i32Add, ...op.get(len), ...op.i32GtS, ...op.brIf(1),
    ...step,
    ...increment(i, op.i32(width)), ...op.br(0), ...op.end, ...op.end,
  ];
}

/** A run of `len` bytes (a local), local i counting them: `vector` per 16 bytes, then `scalar` per float of the last 0-3. */
function run(i: number, len: number, vector: number[], scalar: number[]): number[] {
  return [...op.i32(0), ...op.set(i), ...overBytes(i, len, 16, vector), ...overBytes(i, len, 4, scalar)];
}

/**
 * The loops both functions share: per image b, output row oh and column
 * ow (one patch row at `row`), per filter row kh, `inside` where the row
 * has taps inside the image, with in locals: `patch`, the address of
 * filter row kh's taps in the patch row; `lo` and `hi`, the taps lo..hi
 * inside; `pixel`, the address of the input under tap lo; `len`, the bytes
 * of taps lo..hi. `outside` for the filter rows wholly over the padding.
 */
interface Walk {
  locals: Locals;
  /** The patch row pointer: the first pointer parameter for col2im, the second for im2col. */
  rows: number;
  /** The image pointer. */
  images: number;
  body: (v: WalkLocals) => { inside: number[]; outside: number[] };
}

interface WalkLocals {
  patch: number;
  pixel: number;
  len: number;
  lo: number;
  hi: number;
  tapRowBytes: number;
  pixelBytes: number;
  i: number;
}

function walk({ locals, rows, images, body }: Walk): number[] {
  const [b, oh, ow, kh, ih0, iw0, ih, lo, hi, row, tapRow, patch, pixel, len, i] = locals.addMany(I32, 15);
  const [pixelBytes, xRowBytes, xImageBytes, tapRowBytes, rowBytes] = locals.addMany(I32, 5);
  const { inside, outside } = body({ patch, pixel, len, lo, hi, tapRowBytes, pixelBytes, i });
  const setup = [
    ...op.get(P.inC), ...op.i32(4), ...op.i32Mul, ...op.set(pixelBytes),
    ...mul(P.inW, pixelBytes), ...op.set(xRowBytes),
    ...mul(P.inH, xRowBytes), ...op.set(xImageBytes),
    ...mul(P.fW, pixelBytes), ...op.set(tapRowBytes),
    ...op.get(P.rowStride), ...op.i32(4), ...op.i32Mul, ...op.set(rowBytes),
    ...op.get(rows), ...op.set(row),
  ];
  // lo = max(0, −iw0), hi = min(fW, inW − iw0)
  const span = [
    ...op.i32(0), ...op.i32(0), ...op.get(iw0), ...op.i32Sub, ...op.tee(lo), ...op.get(lo), ...op.i32(0), ...op.i32LtS, ...op.select, ...op.set(lo),
    ...op.get(P.fW), ...op.get(P.inW), ...op.get(iw0), ...op.i32Sub, ...op.tee(hi), ...op.get(P.fW), ...op.get(hi), ...op.i32LtS, ...op.select, ...op.set(hi),
  ];
  const filterRow = [
    ...add(row, tapRow), ...op.set(patch),
    ...add(ih0, kh), ...op.tee(ih),
    // ih < 0 (as unsigned, huge) or ih ≥ inH, or no tap inside.
    ...op.get(P.inH), ...op.i32GeU, ...op.get(lo), ...op.get(hi), ...op.i32GeS, ...op.i32Or,
    ...op.if, ...outside, ...op.else,
    // pixel = image + ih·xRow + (iw0 + lo)·C, in bytes
    ...op.get(images), ...mul(ih, xRowBytes), ...op.i32Add, ...add(iw0, lo), ...op.get(pixelBytes), ...op.i32Mul, ...op.i32Add, ...op.set(pixel),
    ...op.get(hi), ...op.get(lo), ...op.i32Sub, ...op.get(pixelBytes), ...op.i32Mul, ...op.set(len),
    ...inside,
    ...op.end,
    ...increment(tapRow, op.get(tapRowBytes)),
  ];
  const column = [
    ...op.get(ow), ...op.get(P.sW), ...op.i32Mul, ...op.get(P.padLeft), ...op.i32Sub, ...op.set(iw0),
    ...span,
    ...op.i32(0), ...op.set(tapRow),
    ...forUpTo(kh, P.fH, filterRow),
    ...increment(row, op.get(rowBytes)),
  ];
  const outputRow = [
    ...op.get(oh), ...op.get(P.sH), ...op.i32Mul, ...op.get(P.padTop), ...op.i32Sub, ...op.set(ih0),
    ...forUpTo(ow, P.outW, column),
  ];
  const image = [...forUpTo(oh, P.outH, outputRow), ...increment(images, op.get(xImageBytes))];
  return [...setup, ...forUpTo(b, P.nb, image)];
}

/** Zero `bytes` bytes (a local) from address local `at`. */
function zero(i: number, at: number, bytes: number): number[] {
  return run(i, bytes, [...add(at, i), ...op.v128Zero, ...op.v128Store()], [...add(at, i), ...op.i32(0), ...op.i32Store()]);
}

/** im2col as a module function (also part of the product's module, for its helper threads). */
export function im2colFunction(): FunctionSpec {
  const locals = new Locals(PARAMS.length);
  const [at, bytes] = locals.addMany(I32, 2);
  const body = ({ patch, pixel, len, lo, hi, tapRowBytes, pixelBytes, i }: WalkLocals) => {
    const copy = run(i, len, [...add(at, i), ...add(pixel, i), ...op.v128Load(), ...op.v128Store()], [...add(at, i), ...add(pixel, i), ...op.i32Load(), ...op.i32Store()]);
    const inside = [
      // taps 0..lo zero, lo..hi copied, hi..fW zero
      ...op.get(patch), ...op.set(at), ...op.get(lo), ...op.get(pixelBytes), ...op.i32Mul, ...op.set(bytes), ...zero(i, at, bytes),
      ...increment(at, op.get(bytes)), ...copy,
      ...increment(at, op.get(len)),
      ...op.get(tapRowBytes), ...op.get(hi), ...op.get(pixelBytes), ...op.i32Mul, ...op.i32Sub, ...op.set(bytes), ...zero(i, at, bytes),
    ];
    const outside = [...op.get(patch), ...op.set(at), ...zero(i, at, tapRowBytes)];
    return { inside, outside };
  };
  const code = walk({ locals, rows: DST, images: SRC, body });
  return { name: 'im2col', params: PARAMS, locals: locals.types, body: code };
}

/** col2im as a module function (also part of the product's module). */
export function col2imFunction(): FunctionSpec {
  const locals = new Locals(PARAMS.length);
  const from = locals.add(I32);
  const body = ({ patch, pixel, len, lo, pixelBytes, i }: WalkLocals) => {
    const sum = (load: number[], addOp: number[], store: number[]) => [...add(pixel, i), ...add(pixel, i), ...load, ...add(from, i), ...load, ...addOp, ...store];
    const inside = [
      ...op.get(patch), ...op.get(lo), ...op.get(pixelBytes), ...op.i32Mul, ...op.i32Add, ...op.set(from),
      ...run(i, len, sum(op.v128Load(), op.f32x4Add, op.v128Store()), sum(op.f32Load(), op.f32Add, op.f32Store())),
    ];
    return { inside, outside: [] };
  };
  // col2im reads the patch rows (first pointer) and adds into the images (second).
  const code = walk({ locals, rows: SRC, images: DST, body });
  return { name: 'col2im', params: PARAMS, locals: locals.types, body: code };
}

export function im2colModuleBytes(): Uint8Array {
  return moduleBytes([im2colFunction(), col2imFunction()]);
}

type LayoutChange = (src: number, dst: number, ...geometry: number[]) => void;

export interface SimdIm2col {
  im2col: LayoutChange;
  col2im: LayoutChange;
}

/** The geometry arguments of `nb` images of a convolution, in the order the functions take them. */
export function geometryArgs(info: backend_util.Conv2DInfo, nb: number, rowStride: number): number[] {
  const { inHeight: inH, inWidth: inW, inChannels: inC, outHeight: outH, outWidth: outW, filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
  const g: Geometry = { nb, inH, inW, inC, outH, outW, fH, fW, sH, sW, padTop: info.padInfo.top, padLeft: info.padInfo.left, rowStride };
  return GEOMETRY.map((name) => g[name]);
}

const cache = new WeakMap<WebAssembly.Memory, SimdIm2col | null>();

/** im2col and col2im bound to `memory`, or null where WebAssembly SIMD is unavailable. */
export function simdIm2colFor(memory: WebAssembly.Memory): SimdIm2col | null {
  return instantiateOn(cache, memory, im2colModuleBytes);
}
