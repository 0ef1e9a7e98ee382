// The WebAssembly assembler: LEB128 against hand-computed encodings, and a generated module that runs.
import { describe, expect, it } from 'vitest';
import { I32, instantiateOn, Locals, moduleBytes, op, sleb, uleb, V128, type ValueType } from './assembler.js';

describe('LEB128', () => {
  it('unsigned: 0, 127, 128, 624485 (the DWARF specification example)', () => {
    expect(uleb(0)).toEqual([0x00]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
  });

  it('signed: 0, 63, 64, −1, −64, −65, −123456', () => {
    expect(sleb(0)).toEqual([0x00]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});

describe('moduleBytes', () => {
  it('builds a module whose functions run on the imported memory and call each other', () => {
    // store4(at, x): memory[at..at+16) = splat(x) as float32 — through a helper function at index 0.
    const helperLocals = new Locals(2);
    const helper = { params: [I32, I32] as ValueType[], locals: helperLocals.types, body: [...op.get(0), ...op.get(1), 0xb2 /* f32.convert_i32_s */, ...op.f32x4Splat, ...op.v128Store(16)] };
    const mainLocals = new Locals(2);
    const v = mainLocals.add(V128);
    const main = { name: 'store4', params: [I32, I32] as ValueType[], locals: mainLocals.types, body: [...op.get(0), ...op.get(1), ...op.call(0), ...op.v128Zero, ...op.set(v)] };
    const bytes = moduleBytes([helper, main]);
    expect(WebAssembly.validate(bytes as unknown as ArrayBuffer)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const cache = new WeakMap<WebAssembly.Memory, { store4(at: number, x: number): void } | null>();
    const exports = instantiateOn(cache, memory, () => bytes)!;
    exports.store4(64, -7);
    expect(Array.from(new Float32Array(memory.buffer, 64 + 16, 4))).toEqual([-7, -7, -7, -7]);
    expect(instantiateOn(cache, memory, () => new Uint8Array([0]))).toBe(exports); // cached per memory
  });

  it('reports null for bytes the engine refuses', () => {
    const cache = new WeakMap<WebAssembly.Memory, unknown>();
    expect(instantiateOn(cache, new WebAssembly.Memory({ initial: 1 }), () => new Uint8Array([0, 1, 2]))).toBeNull();
  });
});
