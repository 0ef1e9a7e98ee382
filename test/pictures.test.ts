// Pictures and the report, end to end through the built CLI, plus the numeric pieces behind them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { inverseNormalCdf } from '../src/core/viz/figures/normal.js';
import { interpolationPath, slerp } from '../src/core/viz/figures/paths.js';
import { CATEGORY_COLORS } from '../src/core/viz/plots/palette.js';
import { tempDir, cli } from './helpers.js';

/** Pixels that are not the background (white for plots, the grey padding or black for image grids). */
function inkFraction(png: PNG): number {
  let ink = 0;
  const bg = [png.data[0], png.data[1], png.data[2]];
  for (let i = 0; i < png.data.length; i += 4) if (Math.abs(png.data[i] - bg[0]) + Math.abs(png.data[i + 1] - bg[1]) + Math.abs(png.data[i + 2] - bg[2]) > 30) ink++;
  return ink / (png.width * png.height);
}

function countColour(png: PNG, rgb: readonly number[], tolerance = 12): number {
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (Math.abs(png.data[i] - rgb[0]) <= tolerance && Math.abs(png.data[i + 1] - rgb[1]) <= tolerance && Math.abs(png.data[i + 2] - rgb[2]) <= tolerance) n++;
  }
  return n;
}

describe('inverse normal CDF and interpolation paths', () => {
  it('matches known quantiles of N(0, 1)', () => {
    expect(inverseNormalCdf(0.5)).toBeCloseTo(0, 9);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959964, 5);
    expect(inverseNormalCdf(0.025)).toBeCloseTo(-1.959964, 5);
    expect(inverseNormalCdf(0.8413447460685429)).toBeCloseTo(1, 5);
    expect(inverseNormalCdf(1e-6)).toBeCloseTo(-4.753424, 4);
  });

  it('lines and great circles start and end at the two codes; slerp keeps the norm of equal-norm ends', () => {
    const a = [3, 0];
    const b = [0, 3];
    const path2 = interpolationPath(a, b, 5, 'great-circle');
    expect(Array.from(path2.subarray(0, 2))).toEqual([3, 0]);
    expect(path2[8]).toBeCloseTo(0, 6);
    expect(path2[9]).toBeCloseTo(3, 6);
    const mid = slerp(a, b, 0.5);
    expect(Math.hypot(mid[0], mid[1])).toBeCloseTo(3, 6);
    const line = interpolationPath(a, b, 3, 'line');
    expect(Array.from(line.subarray(2, 4))).toEqual([1.5, 1.5]);
  });
});

describe('latentkit plot and report', () => {
  let cwd: string;
  let run: string;

  beforeAll(() => {
    cwd = tempDir();
    run = path.join(cwd, 'runs/tiny2d');
    const r = cli(['train', '--epochs', '2', '--limit', '800', '--hidden', '64', '--latent', '2', '--batch-size', '64', '--out', run, '--quiet'], cwd);
    expect(r.code, r.stderr).toBe(0);
  });

  it('renders every kind of picture: right size, not blank', () => {
    const kinds: [string, string[], number | null, number | null][] = [
      ['samples', ['--n', '16'], 4 * 28 + 5 * 2, 4 * 28 + 5 * 2],
      ['reconstructions', ['--n', '8'], 8 * 28 + 9 * 2, 2 * 28 + 3 * 2],
      ['manifold', ['--grid', '5'], null, null],
      ['interpolate', ['--steps', '6'], null, null],
      ['curves', [], null, null],
      ['latent', ['--limit', '400'], null, null],
      ['pca-vs-ae', ['--limit', '400'], null, null],
    ];
    for (const [kind, extra, width, height] of kinds) {
      const out = path.join(cwd, `${kind}.png`);
      const r = cli(['plot', kind, '--run', run, '--out', out, ...extra], cwd);
      expect(r.code, `${kind}: ${r.stderr}`).toBe(0);
      const png = PNG.sync.read(fs.readFileSync(out));
      if (width !== null) expect(png.width, kind).toBe(width);
      if (height !== null) expect(png.height, kind).toBe(height);
      expect(inkFraction(png), kind).toBeGreaterThan(0.02);
      if (kind === 'manifold') expect(png.width).toBeGreaterThanOrEqual(5 * 28);
      if (kind === 'interpolate') expect(png.width).toBeGreaterThan(png.height * 4);
    }
  });

  it('the latent scatter gives each class its own colour (read back from the pixels)', () => {
    const out = path.join(cwd, 'latent-colours.png');
    expect(cli(['plot', 'latent', '--run', run, '--out', out, '--limit', '800'], cwd).code).toBe(0);
    const png = PNG.sync.read(fs.readFileSync(out));
    // sprites has four classes. Points are drawn at opacity 0.7 over white, so look for that blend too.
    const blend = (c: readonly number[]) => c.map((v) => 0.7 * v + 0.3 * 255);
    for (let k = 0; k < 4; k++) {
      const pixels = countColour(png, CATEGORY_COLORS[k]) + countColour(png, blend(CATEGORY_COLORS[k]));
      expect(pixels, `class ${k}`).toBeGreaterThan(30);
    }
  });

  it('writes SVG for vector plots and refuses SVG for image grids', () => {
    const svg = path.join(cwd, 'curves.svg');
    expect(cli(['plot', 'curves', '--run', run, '--out', svg], cwd).code).toBe(0);
    expect(fs.readFileSync(svg, 'utf8')).toMatch(/^<svg|<svg/);
    const r = cli(['plot', 'samples', '--run', run, '--out', path.join(cwd, 'x.svg')], cwd);
    expect(r.code).toBe(2);
  });

  it('report: one self-contained HTML file with config, metrics, curves and pictures', () => {
    const out = path.join(cwd, 'report.html');
    const r = cli(['report', '--run', run, '--out', out, '--limit', '400'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    for (const section of ['Configuration', 'Metrics', 'Training curves', 'Samples', 'Latent manifold', 'Disentanglement', 'Reconstructions']) expect(html).toContain(section);
    // Sprites' factors, one row each in the per-factor table.
    for (const factor of ['shape', 'scale', 'rotation', 'x', 'y']) expect(html).toContain(`<td>${factor}</td>`);
    expect(html).toContain('<th>MIG</th>');
    expect((html.match(/src="data:image\/png;base64,/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('bad requests exit with code 2', () => {
    const cases = [
      ['plot', 'histogram', '--run', run, '--out', 'x.png'],
      ['plot', 'interpolate', '--run', run, '--from', '999999', '--out', 'x.png'],
      ['plot', 'latent', '--run', run, '--out', 'x.gif'],
      ['report', '--run', path.join(cwd, 'missing'), '--out', 'r.html'],
    ];
    for (const args of cases) expect(cli(args, cwd).code, args.join(' ')).toBe(2);
  });
});
