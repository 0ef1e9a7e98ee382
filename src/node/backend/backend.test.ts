import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { enableRelaxedSimd, initBackend, nodeBackendCandidates as backendCandidates } from './index.js';
import { backendCandidates as coreCandidates, basePlatform } from '../../core/backend/init.js';
import { gemmCodegen } from '../../core/backend/kernels/gemm/simd_gemm.js';

describe('backend selection', () => {
  it('auto prefers tfjs-node when installed, then wasm, then cpu', () => {
    expect(backendCandidates('auto', { tensorflow: true })).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(backendCandidates('auto', { tensorflow: false })).toEqual(['wasm', 'cpu']);
  });

  it('an explicit choice is taken as is', () => {
    expect(backendCandidates('cpu', { tensorflow: true })).toEqual(['cpu']);
    expect(backendCandidates('wasm', { tensorflow: false })).toEqual(['wasm']);
  });

  it('asking for tensorflow without tfjs-node is a usage error naming the package', () => {
    expect(() => backendCandidates('tensorflow', { tensorflow: false })).toThrow(/@tensorflow\/tfjs-node/);
  });

  it('webgl is for browsers: refused in Node, first in a page with a canvas', () => {
    expect(() => backendCandidates('webgl', { tensorflow: false })).toThrow(/backend webgl is not available here/);
    expect(coreCandidates('auto', { ...basePlatform, auto: ['webgl', 'wasm', 'cpu'], unavailable: () => undefined })).toEqual(['webgl', 'wasm', 'cpu']);
  });

  it('initBackend activates the chosen backend; auto lands on wasm here', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend('auto')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    await expect(initBackend('metal' as never)).rejects.toThrow(/backend must be one of/);
  });

  it('the transpose-first wasm matMul agrees with the cpu backend', async () => {
    const a = [...Array(6 * 5)].map((_, i) => Math.sin(i));
    const b = [...Array(5 * 4)].map((_, i) => Math.cos(i));
    const results: Record<string, number[][]> = {};
    for (const name of ['cpu', 'wasm'] as const) {
      await initBackend(name);
      const dataIdsBefore = tf.engine().backend.numDataIds();
      results[name] = tf.tidy(() => {
        const A = tf.tensor2d(a, [6, 5]);
        const B = tf.tensor2d(b, [5, 4]);
        return [
          Array.from(tf.matMul(A, B).dataSync()),
          Array.from(tf.matMul(tf.transpose(A), B, true, false).dataSync()),
          Array.from(tf.matMul(A, tf.transpose(B), false, true).dataSync()),
          Array.from(tf.matMul(tf.transpose(A), tf.transpose(B), true, true).dataSync()),
          Array.from(tf.matMul(tf.reshape(A, [2, 3, 5]), tf.reshape(tf.tensor2d(b.slice(0, 15), [3, 5]), [1, 3, 5]), false, true).dataSync()),
        ];
      });
      // The kernel's temporary transposes must be freed: no backend buffers outlive the tidy.
      expect(tf.engine().backend.numDataIds()).toBe(dataIdsBefore);
    }
    for (let i = 0; i < results.cpu.length; i++) {
      results.cpu[i].forEach((v, j) => expect(results.wasm[i][j]).toBeCloseTo(v, 4));
    }
  });
});

describe('relaxed SIMD (fused multiply-add in the matrix product)', () => {
  it('LATENTKIT_RELAXED_SIMD=0 keeps the unfused kernel, unset or 1 fuses, anything else is refused', () => {
    try {
      expect(enableRelaxedSimd({ LATENTKIT_RELAXED_SIMD: '0' })).toBe(false);
      expect(gemmCodegen().fma).toBe(false);
      expect(enableRelaxedSimd({ LATENTKIT_RELAXED_SIMD: '1' })).toBe(true);
      expect(gemmCodegen().fma).toBe(true);
      expect(() => enableRelaxedSimd({ LATENTKIT_RELAXED_SIMD: 'yes' })).toThrow(/LATENTKIT_RELAXED_SIMD must be 0 or 1 \(got 'yes'\)/);
    } finally {
      enableRelaxedSimd({});
    }
    expect(gemmCodegen().fma).toBe(true);
  });
});
