/**
 * The Adam update as a small hand-assembled WebAssembly SIMD function that
 * works directly on the tfjs wasm backend's heap (it imports the backend's
 * memory), four floats per instruction.
 *
 * Why: a scalar JavaScript loop over the ~650k parameters of the default VAE
 * is no faster than TensorFlow.js's dozen SIMD elementwise kernels; the same
 * single pass in SIMD is several times faster than either. No compiler is
 * needed: the module is ~200 bytes, assembled below, and validated by
 * WebAssembly itself when it is compiled.
 *
 * adam(w, g, m, v, wOut, mOut, vOut, bytes, β₁, 1−β₁, β₂, 1−β₂, lr/(1−β₁ᵗ), 1/(1−β₂ᵗ), ε)
 * processes `bytes` (a multiple of 16) from each byte offset, in float32:
 *   m' = β₁m + (1−β₁)g;  v' = β₂v + (1−β₂)g²;  w' = w − k·m' / (√(v'·r) + ε).
 */

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

const op = {
  localGet: (i: number) => [0x20, i],
  localSet: (i: number) => [0x21, i],
  i32Add: [0x6a],
  i32GeU: [0x4f],
  i32Const16: [0x41, 16],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  brIf: (depth: number) => [0x0d, depth],
  br: (depth: number) => [0x0c, depth],
  end: [0x0b],
  // SIMD: prefix 0xfd, then the opcode as unsigned LEB128; memarg = (align log2, offset).
  v128Load: [0xfd, 0x00, 0x00, 0x00],
  v128Store: [0xfd, 0x0b, 0x00, 0x00],
  f32x4Splat: [0xfd, 0x13],
  f32x4Sqrt: [0xfd, 0xe3, 0x01],
  f32x4Add: [0xfd, 0xe4, 0x01],
  f32x4Sub: [0xfd, 0xe5, 0x01],
  f32x4Mul: [0xfd, 0xe6, 0x01],
  f32x4Div: [0xfd, 0xe7, 0x01],
};

// Parameters 0..6 are byte offsets (w, g, m, v, wOut, mOut, vOut), 7 the byte count, 8..14 the f32 constants.
const [W, G, M, V, WO, MO, VO, BYTES] = [0, 1, 2, 3, 4, 5, 6, 7];
const FIRST_CONSTANT = 8;
const CONSTANTS = 7;
// Locals: i (i32), then v128: g, m', v', and the seven splatted constants.
const I = 15;
const [GV, MV, VV] = [16, 17, 18];
const SPLAT = 19; // SPLAT + k holds constant k splatted
const [B1, A1, B2, A2, K, R, EPS] = [0, 1, 2, 3, 4, 5, 6].map((k) => SPLAT + k);

/** Push the v128 at base + i. */
const load = (base: number) => [...op.localGet(base), ...op.localGet(I), ...op.i32Add, ...op.v128Load];
/** Address base + i (the value to store follows). */
const addr = (base: number) => [...op.localGet(base), ...op.localGet(I), ...op.i32Add];

function body(): number[] {
  const splats = Array.from({ length: CONSTANTS }, (_, k) => [...op.localGet(FIRST_CONSTANT + k), ...op.f32x4Splat, ...op.localSet(SPLAT + k)]).flat();
  const step = [
    ...load(G), ...op.localSet(GV),
    // m' = β₁·m + (1−β₁)·g
    ...op.localGet(B1), ...load(M), ...op.f32x4Mul, ...op.localGet(A1), ...op.localGet(GV), ...op.f32x4Mul, ...op.f32x4Add, ...op.localSet(MV),
    // v' = β₂·v + (1−β₂)·g·g
    ...op.localGet(B2), ...load(V), ...op.f32x4Mul, ...op.localGet(A2), ...op.localGet(GV), ...op.localGet(GV), ...op.f32x4Mul, ...op.f32x4Mul, ...op.f32x4Add, ...op.localSet(VV),
    ...addr(MO), ...op.localGet(MV), ...op.v128Store,
    ...addr(VO), ...op.localGet(VV), ...op.v128Store,
    // w' = w − k·m' / (√(v'·r) + ε)
    ...addr(WO), ...load(W), ...op.localGet(K), ...op.localGet(MV), ...op.f32x4Mul,
    ...op.localGet(VV), ...op.localGet(R), ...op.f32x4Mul, ...op.f32x4Sqrt, ...op.localGet(EPS), ...op.f32x4Add, ...op.f32x4Div, ...op.f32x4Sub, ...op.v128Store,
  ];
  const loop = [
    ...op.block, ...op.loop,
    ...op.localGet(I), ...op.localGet(BYTES), ...op.i32GeU, ...op.brIf(1),
    ...step,
    ...op.localGet(I), ...op.i32Const16, ...op.i32Add, ...op.localSet(I),
    ...op.br(0), ...op.end, ...op.end,
  ];
  return [...splats, ...loop, ...op.end];
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const name = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

export function adamModuleBytes(): Uint8Array {
  const params = [...Array<number>(8).fill(I32), ...Array<number>(CONSTANTS).fill(F32)];
  const funcType = [0x60, ...vec(params.map((p) => [p])), 0x00];
  const locals = vec([[1, I32], [3 + CONSTANTS, V128]]);
  const code = [...locals, ...body()];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([funcType])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // memory, min 1 page, no max
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('adam'), 0x00, 0]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

export type SimdAdam = (w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, bytes: number, b1: number, a1: number, b2: number, a2: number, k: number, r: number, eps: number) => void;

const cache = new WeakMap<WebAssembly.Memory, SimdAdam | null>();

/** The SIMD Adam function bound to `memory`, or null where WebAssembly SIMD is unavailable. */
export function simdAdamFor(memory: WebAssembly.Memory): SimdAdam | null {
  if (cache.has(memory)) return cache.get(memory)!;
  let fn: SimdAdam | null = null;
  try {
    const module = new WebAssembly.Module(adamModuleBytes() as unknown as ArrayBuffer);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    fn = instance.exports.adam as SimdAdam;
  } catch {
    fn = null;
  }
  cache.set(memory, fn);
  return fn;
}
