import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { svgToPng, writePlot } from '../../../node/files/raster.js';
import { CATEGORY_COLORS, linePlot, scatterPlot, scatterSpec, sideBySide, type Rgb } from './index.js';

const WHITE: Rgb = [255, 255, 255];

function decode(png: Buffer): PNG {
  return PNG.sync.read(png);
}

/** Pixels within `tol` (max per channel) of `color`, optionally only in columns [x0, x1). */
function countNear(img: PNG, color: Rgb, tol = 12, x0 = 0, x1 = img.width, y0 = 0, y1 = img.height): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = 4 * (y * img.width + x);
      if (color.every((c, ch) => Math.abs(img.data[i + ch] - c) <= tol)) n++;
    }
  }
  return n;
}

function nonBackground(img: PNG): number {
  return img.width * img.height - countNear(img, WHITE, 8);
}

/** Ten well separated clusters on a circle, class k around angle 2πk/10. */
function clusters(perClass = 30): { points: Float32Array; labels: Int32Array } {
  const n = 10 * perClass;
  const points = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    const jitter = ((i * 7919) % 101) / 101 - 0.5;
    labels[i] = k;
    points[2 * i] = Math.cos((2 * Math.PI * k) / 10) * 4 + 0.4 * jitter;
    points[2 * i + 1] = Math.sin((2 * Math.PI * k) / 10) * 4 - 0.4 * jitter;
  }
  return { points, labels };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('palette', () => {
  it('has at least ten distinct colours', () => {
    const keys = new Set(CATEGORY_COLORS.map((c) => c.join(',')));
    expect(keys.size).toBeGreaterThanOrEqual(10);
  });
});

describe('svgToPng', () => {
  it.each(['DejaVu Sans', 'sans-serif', 'No Such Font'])('rasterises text in font-family %s', (family) => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><text x="10" y="35" font-family="${family}" font-size="24">latentkit</text></svg>`;
    const img = decode(svgToPng(svg));
    expect([img.width, img.height]).toEqual([200, 50]);
    expect(countNear(img, [0, 0, 0], 60)).toBeGreaterThan(100);
  });

  it('rejects a non-positive scale', () => {
    expect(() => svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>', { scale: 0 })).toThrow(/scale/);
  });
});

describe('scatterPlot', () => {
  it('renders a PNG of the stated size, scaled', async () => {
    const { svg } = await scatterPlot({ ...clusters(), title: 'Latent', width: 320, height: 240 });
    expect(svg.startsWith('<svg')).toBe(true);
    const img = decode(svgToPng(svg));
    expect([img.width, img.height]).toEqual([320, 240]);
    const big = decode(svgToPng(svg, { scale: 2 }));
    expect([big.width, big.height]).toEqual([640, 480]);
    expect(nonBackground(img)).toBeGreaterThan(2000);
  });

  it('draws every class in its own palette colour', async () => {
    const { svg } = await scatterPlot({ ...clusters(), pointSize: 120, opacity: 1, legend: false, width: 400, height: 400 });
    const img = decode(svgToPng(svg));
    for (const color of CATEGORY_COLORS) expect(countNear(img, color)).toBeGreaterThan(100);
  });

  it.each([0, 3, 9])('draws class %i in its own palette colour and no other', async (k) => {
    const { points, labels } = clusters();
    const keep = Array.from(labels.keys()).filter((i) => labels[i] === k);
    const classNames = Array.from({ length: 10 }, (_, c) => `c${c}`);
    const only = { points: Float32Array.from(keep.flatMap((i) => [points[2 * i], points[2 * i + 1]])), labels: Int32Array.from(keep.map(() => k)) };
    const img = decode(svgToPng((await scatterPlot({ ...only, classNames, pointSize: 120, opacity: 1, legend: false })).svg));
    CATEGORY_COLORS.forEach((color, c) => {
      if (c === k) expect(countNear(img, color)).toBeGreaterThan(100);
      else expect(countNear(img, color, 6)).toBe(0);
    });
  });

  it('draws title and legend text', async () => {
    const dark = (img: PNG): number => countNear(img, [0, 0, 0], 60);
    const plain = decode(svgToPng((await scatterPlot({ ...clusters(), legend: false })).svg));
    const titled = decode(svgToPng((await scatterPlot({ ...clusters(), legend: false, title: 'A title' })).svg));
    const legend = decode(svgToPng((await scatterPlot({ ...clusters(), classNames: ['zero', 'one'] })).svg));
    expect(dark(titled) - dark(plain)).toBeGreaterThan(50);
    expect(dark(legend) - dark(plain)).toBeGreaterThan(100);
  });

  it('rejects mismatched or negative labels', async () => {
    await expect(scatterPlot({ points: new Float32Array(4), labels: new Int32Array(3) })).rejects.toThrow(/expected 6/);
    expect(() => scatterSpec({ points: new Float32Array(2), labels: Int32Array.of(-1) })).toThrow(/non-negative/);
  });
});

describe('linePlot', () => {
  it('renders curves of the stated size in series colours', async () => {
    const x = Array.from({ length: 20 }, (_, i) => i + 1);
    const { svg } = await linePlot({
      title: 'loss',
      xLabel: 'epoch',
      yLabel: 'loss',
      width: 400,
      height: 300,
      series: [
        { name: 'train', x, y: x.map((e) => 1 / e) },
        { name: 'test', x, y: x.map((e) => 1.2 / e + 0.1), dashed: true },
      ],
    });
    const img = decode(svgToPng(svg, { scale: 2 }));
    expect([img.width, img.height]).toEqual([800, 600]);
    expect(nonBackground(img)).toBeGreaterThan(5000);
    expect(countNear(img, CATEGORY_COLORS[0])).toBeGreaterThan(200);
    expect(countNear(img, CATEGORY_COLORS[1])).toBeGreaterThan(200);
  });

  it('rejects series whose x and y differ in length', async () => {
    await expect(linePlot({ series: [{ name: 'a', x: [1, 2], y: [1] }] })).rejects.toThrow(/"a"/);
  });
});

describe('sideBySide', () => {
  it('puts two scatters with the same colours in one picture', async () => {
    const data = clusters();
    const panel = (title: string, flip: number) =>
      scatterSpec({ ...data, points: data.points.map((v) => v * flip), title, pointSize: 80, opacity: 1, legend: false, width: 240, height: 240 });
    const { svg } = await sideBySide([panel('PCA', 1), panel('Autoencoder', -1)], { title: 'PCA vs AE' });
    const img = decode(svgToPng(svg));
    const svgWidth = Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)?.[1]);
    expect(img.width).toBe(Math.ceil(svgWidth));
    expect(img.width).toBeGreaterThan(480);
    expect(img.width).toBeGreaterThan(img.height);
    const half = Math.floor(img.width / 2);
    for (const color of CATEGORY_COLORS) {
      expect(countNear(img, color, 12, 0, half)).toBeGreaterThan(50);
      expect(countNear(img, color, 12, half)).toBeGreaterThan(50);
    }
  });
});

describe('writePlot', () => {
  it('writes .svg as is and .png rasterised, and refuses other extensions', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latentkit-plots-'));
    try {
      const { svg } = await scatterPlot({ ...clusters(5), width: 200, height: 150 });
      writePlot(path.join(dir, 'a.svg'), svg);
      writePlot(path.join(dir, 'sub', 'a.png'), svg);
      expect(fs.readFileSync(path.join(dir, 'a.svg'), 'utf8')).toBe(svg);
      const img = decode(fs.readFileSync(path.join(dir, 'sub', 'a.png')));
      expect([img.width, img.height]).toEqual([200, 150]);
      expect(() => writePlot(path.join(dir, 'a.jpg'), svg)).toThrow(/\.png or \.svg/);
      expect(fs.readdirSync(dir).sort()).toEqual(['a.svg', 'sub']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('offline rendering', () => {
  it('never calls fetch', async () => {
    const fetchSpy = vi.fn(() => Promise.reject(new Error('network used')));
    vi.stubGlobal('fetch', fetchSpy);
    const { svg } = await scatterPlot({ ...clusters(5), title: 't' });
    svgToPng(svg);
    await linePlot({ series: [{ name: 's', x: [0, 1], y: [1, 0] }] });
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
