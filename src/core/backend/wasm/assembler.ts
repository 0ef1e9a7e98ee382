/**
 * A small WebAssembly assembler: enough of the binary format to write SIMD
 * kernels that run on the tfjs wasm backend's own heap (each module imports
 * the backend's memory as `env.memory`), with no compiler or toolchain.
 *
 * Code is a flat list of bytes built from the `op` helpers below; the module
 * is validated by WebAssembly itself when it is compiled, so a malformed
 * function fails loudly at load time, never silently at run time.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F32 | typeof V128;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A memory access immediate: alignment (log2 bytes) and a constant byte offset. */
const memarg = (alignLog2: number, offset: number) => [alignLog2, ...uleb(offset)];
const simd = (opcode: number, ...immediates: number[]) => [0xfd, ...uleb(opcode), ...immediates];

export const op = {
  // Control; blocks and loops take no values and return none (block type 0x40).
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  return: [0x0f],
  drop: [0x1a],
  /** select(a, b, c): a if c ≠ 0, else b. */
  select: [0x1b],
  call: (fn: number) => [0x10, ...uleb(fn)],
  // Locals.
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  // Scalars.
  i32: (n: number) => [0x41, ...sleb(n | 0)],
  i32Eqz: [0x45],
  i32Eq: [0x46],
  i32Ne: [0x47],
  i32LtS: [0x48],
  i32GtS: [0x4a],
  i32GeS: [0x4e],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Or: [0x72],
  i32ShrU: [0x76],
  i32Load: (offset = 0) => [0x28, ...memarg(2, offset)],
  i32Store: (offset = 0) => [0x36, ...memarg(2, offset)],
  f32Load: (offset = 0) => [0x2a, ...memarg(2, offset)],
  f32Const: (x: number) => [0x43, ...new Uint8Array(Float32Array.of(x).buffer)],
  f32Add: [0x92],
  f32Store: (offset = 0) => [0x38, ...memarg(2, offset)],
  // SIMD, four float32 lanes.
  v128Load: (offset = 0) => simd(0x00, ...memarg(0, offset)),
  v128Load32Splat: (offset = 0) => simd(0x09, ...memarg(0, offset)),
  v128Store: (offset = 0) => simd(0x0b, ...memarg(0, offset)),
  v128Zero: simd(0x0c, ...Array<number>(16).fill(0)),
  /** Four float lanes picked from two vectors: 0-3 from the first, 4-7 from the second. */
  f32x4Shuffle: (lanes: [number, number, number, number]) => simd(0x0d, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])),
  /** 1 if any bit of the vector is set. */
  v128AnyTrue: simd(0x53),
  f32x4Splat: simd(0x13),
  f32x4Sqrt: simd(0xe3),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  /** Pseudo-minimum pmin(a, b) = b < a ? b : a, lane-wise (one instruction on x64, unlike f32x4.min). */
  f32x4Pmin: simd(0xea),
  /** Pseudo-maximum pmax(a, b) = a < b ? b : a, lane-wise (one instruction on x64, unlike f32x4.max). */
  f32x4Pmax: simd(0xeb),
  f32x4Abs: simd(0xe0),
  f32x4Neg: simd(0xe1),
  /** Lane-wise minimum; NaN if either lane is NaN. */
  f32x4Min: simd(0xe8),
  /** Round to nearest, ties to even. */
  f32x4Nearest: simd(0x6a),
  /** All-ones lanes where a > b. */
  f32x4Gt: simd(0x44),
  /** All-ones lanes where a ≥ b. */
  f32x4Ge: simd(0x46),
  f32x4ExtractLane: (lane: number) => simd(0x1f, lane),
  /** Bits of the first operand where the mask (third) is set, of the second elsewhere. */
  v128Bitselect: simd(0x52),
  i32x4TruncSatF32x4S: simd(0xf8),
  i32x4Splat: simd(0x11),
  i32x4Add: simd(0xae),
  /** Shift left by an i32 count. */
  i32x4Shl: simd(0xab),
  /** Relaxed SIMD: a·b + c, fused (one rounding) where the CPU has FMA, else multiply then add. */
  f32x4RelaxedMadd: simd(0x105),
};

export interface FunctionSpec {
  /** Exported under this name when given. */
  name?: string;
  params: ValueType[];
  /** Extra locals, in order after the parameters. */
  locals: ValueType[];
  /** The body without its final `end`. */
  body: number[];
}

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const name = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

/** Run-length groups of equal local types, as the code section wants them. */
function localGroups(locals: ValueType[]): number[][] {
  const groups: number[][] = [];
  for (const t of locals) {
    const last = groups[groups.length - 1];
    if (last && last[1] === t) last[0]++;
    else groups.push([1, t]);
  }
  return groups.map(([count, type]) => [...uleb(count), type]);
}

/** How the module imports its memory: the default is an ordinary (unshared) memory of any size. */
export interface MemoryImport {
  /** A shared memory (threads), which WebAssembly requires to declare a maximum, in 64 KiB pages. */
  sharedMaximumPages?: number;
}

/**
 * A module importing `env.memory` and defining `functions` (no results), in
 * order: function i has index i, for `op.call`.
 */
export function moduleBytes(functions: FunctionSpec[], memory: MemoryImport = {}): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0x00]);
  const exports = functions.flatMap((f, i) => (f.name ? [[...name(f.name), 0x00, ...uleb(i)]] : []));
  const bodies = functions.map((f) => {
    const code = [...vec(localGroups(f.locals)), ...f.body, ...op.end];
    return [...uleb(code.length), ...code];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    // memory, min 1 page; no maximum, or shared with one.
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...(memory.sharedMaximumPages ? [0x03, 0x01, ...uleb(memory.sharedMaximumPages)] : [0x00, 0x01])]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}

/** Locals allocated by name while a function body is written; indices follow the parameters. */
export class Locals {
  readonly types: ValueType[] = [];
  constructor(private readonly paramCount: number) {}

  add(type: ValueType): number {
    this.types.push(type);
    return this.paramCount + this.types.length - 1;
  }

  addMany(type: ValueType, count: number): number[] {
    return Array.from({ length: count }, () => this.add(type));
  }
}

/**
 * Instantiate `bytes` against `memory` and return its exports, or null where
 * the engine cannot compile it (no WebAssembly SIMD). Cached per memory.
 */
export function instantiateOn<T>(cache: WeakMap<WebAssembly.Memory, T | null>, memory: WebAssembly.Memory, bytes: () => Uint8Array): T | null {
  if (cache.has(memory)) return cache.get(memory)!;
  let exports: T | null = null;
  try {
    const module = new WebAssembly.Module(bytes() as unknown as ArrayBuffer);
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as T;
  } catch {
    exports = null;
  }
  cache.set(memory, exports);
  return exports;
}
