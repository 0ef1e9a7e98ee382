import { describe, expect, it } from 'vitest';
import { fitPca } from '../../eval/metrics/pca.js';
import { pcaScores } from './pca.js';

describe('pcaScores', () => {
  // Normal data spread mostly along x (variance 10/6), a little along y (1/12), not at all along z; mean 0.
  const normal = new Float64Array([-2, 0, 0, 2, 0, 0, -1, 0, 0, 1, 0, 0, 0, 0.5, 0, 0, -0.5, 0]);
  const query = new Float64Array([3, 1, 2, 0, 0, 0, 1, -2, 0]);

  it('is the squared distance to the principal line / plane, by hand', () => {
    // k = 1 keeps x: the error is y² + z²; k = 2 keeps x and y: z².
    expect(Array.from(pcaScores(fitPca(normal, 6, 3, 1), { x: query, n: 3 }))).toEqual([5, 0, 4].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(pcaScores(fitPca(normal, 6, 3, 2), { x: query, n: 3 }))).toEqual([4, 0, 0].map((v) => expect.closeTo(v, 12)));
  });

  it('equals ‖x − reconstruct(project(x))‖² on random data', () => {
    let state = 7;
    const rand = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0), state / 2 ** 32 - 0.5);
    const dim = 9;
    const x = Float64Array.from({ length: 40 * dim }, rand);
    const pca = fitPca(x, 40, dim, 4);
    const rebuilt = pca.reconstruct(pca.project(x, 40), 40);
    const scores = pcaScores(pca, { x, n: 40 });
    for (let i = 0; i < 40; i++) {
      let direct = 0;
      for (let j = 0; j < dim; j++) direct += (x[i * dim + j]! - rebuilt[i * dim + j]!) ** 2;
      expect(scores[i]).toBeCloseTo(direct, 10);
    }
  });

  it('refuses rows of the wrong width', () => {
    expect(() => pcaScores(fitPca(normal, 6, 3, 1), { x: new Float64Array(4), n: 2 })).toThrow(/expected 2×3/);
  });
});
