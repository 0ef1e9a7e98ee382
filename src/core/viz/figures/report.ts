/**
 * One self-contained HTML report of a run: config, metrics, curves, every
 * picture that applies to the model, and disentanglement scores when the data
 * has known factors. Images are embedded as data: URIs; the
 * page has no scripts and loads nothing.
 */
import type { Dataset } from '../../data/types.js';
import type { Autoencoder } from '../../models/types.js';
import { interpolateExamples, interpolateImage } from '../../apps/interpolate/interpolate.js';
import { disentanglementOf } from '../../eval/evaluate.js';
import type { RunConfig } from '../../run/config.js';
import { encodePng } from '../grid.js';
import { encodeCodes } from './codes.js';
import { VERSION } from '../../version.js';
import { curvesPlot, lossTerms, type MetricsRow } from './curves.js';
import { escapeHtml, formatValue, htmlTable, pngImg, svgImg } from './html.js';
import { fitCodeGaussian, manifoldImage, reconstructionsImage, samplesImage } from './images.js';
import { latentScatter, pcaVsAeFigure } from './latent.js';

/** What a report is made of: a loaded run. */
export interface ReportRun {
  config: RunConfig;
  model: Autoencoder;
  /** Rows of metrics.jsonl (may be empty). */
  metrics: readonly MetricsRow[];
  /** Shown in the heading, e.g. the run folder. */
  name?: string;
}

export interface ReportOptions {
  /** Seed of samples and subsets; default 0. */
  seed?: number;
}

/** A section of the report: heading and HTML body. */
interface Section {
  id: string;
  title: string;
  body: string;
}

/** Config as dotted key paths and values, e.g. `model.hidden` → "64". */
export function flattenConfig(value: unknown, prefix = ''): [string, string][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [[prefix, formatValue(value)]];
  return Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : flattenConfig(v, prefix ? `${prefix}.${k}` : k)));
}

/** Every column of metrics.jsonl, in order of first appearance, one row per epoch. */
export function metricsTable(metrics: readonly MetricsRow[]): string {
  const columns = [...new Set(metrics.flatMap((r) => Object.keys(r)))];
  return htmlTable(columns, metrics.map((r) => columns.map((c) => formatValue(r[c]))), 'metrics');
}

function figure(img: string, caption: string): string {
  return `<figure>${img}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

/** The example after `from` of another class than it (else the next one), for the interpolation. */
function partnerOf(ds: Dataset, from: number): number {
  for (let i = from + 1; i < ds.n; i++) if (ds.labels[i] !== ds.labels[from]) return i;
  return from + 1;
}

function classNameOf(run: ReportRun, ds: Dataset, label: number): string {
  return run.config.data.classNames?.[label] ?? ds.classNames?.[label] ?? String(label);
}

async function trainingSections(run: ReportRun): Promise<Section[]> {
  const config = { id: 'config', title: 'Configuration', body: htmlTable(['setting', 'value'], flattenConfig(run.config), 'config') };
  if (run.metrics.length === 0) return [config, { id: 'metrics', title: 'Metrics', body: '<p>This run has no metrics.jsonl (no epoch completed).</p>' }];
  const metrics = { id: 'metrics', title: 'Metrics', body: `<div class="scroll">${metricsTable(run.metrics)}</div>` };
  if (lossTerms(run.metrics).length === 0) return [config, metrics];
  const curves = await curvesPlot(run.metrics);
  return [config, metrics, { id: 'curves', title: 'Training curves', body: figure(svgImg(curves.svg, curves.title), 'Per-example means per epoch: train solid, test dashed.') }];
}

function generativeSections(run: ReportRun, ds: Dataset, seed: number): Section[] {
  const { model } = run;
  const sections: Section[] = [];
  if (model.generative) {
    const caption = `64 decoded draws z ~ N(0, I) (seed ${seed})${model.conditional ? ', classes in turn' : ''}.`;
    sections.push({ id: 'samples', title: 'Samples', body: figure(pngImg(encodePng(samplesImage(model, { n: 64, seed })), 'samples', 2), caption) });
  }
  if (model.config.latent === 2) {
    const gaussian = model.generative ? undefined : fitCodeGaussian(model, ds);
    const prior = gaussian ? `the Gaussian fitted to the ${ds.name} ${ds.split} codes` : 'N(0, I)';
    const label = model.conditional ? `, class ${classNameOf(run, ds, 0)}` : '';
    const caption = `Decoded 20×20 grid of z at the quantiles Φ⁻¹((i + ½)/20) of ${prior}${label}; z1 rises to the right, z2 upwards.`;
    sections.push({ id: 'manifold', title: 'Latent manifold', body: figure(pngImg(encodePng(manifoldImage(model, { grid: 20, gaussian })), 'manifold', 1), caption) });
  }
  return sections;
}

async function latentSections(run: ReportRun, ds: Dataset, seed: number): Promise<Section[]> {
  const classNames = run.config.data.classNames ?? ds.classNames;
  const scatter = await latentScatter(run.model, ds, { seed, classNames });
  const versus = await pcaVsAeFigure(run.model, ds, { seed, classNames });
  return [
    { id: 'latent', title: 'Latent space', body: figure(svgImg(scatter.svg, scatter.title), 'Codes E[z|x] coloured by class.') },
    { id: 'pca-vs-ae', title: 'PCA vs autoencoder', body: figure(svgImg(versus.svg, versus.title), "PCA's 2-D projection of the pixels beside the model's code, same examples and colours.") },
  ];
}

function dataSections(run: ReportRun, ds: Dataset): Section[] {
  const n = Math.min(32, ds.n);
  const sections: Section[] = [
    { id: 'reconstructions', title: 'Reconstructions', body: figure(pngImg(encodePng(reconstructionsImage(run.model, ds, n)), 'reconstructions', 2), `The first ${n} ${ds.split} examples (odd rows) above their reconstructions (even rows).`) },
  ];
  if (ds.n < 2) return sections;
  const to = partnerOf(ds, 0);
  const caption = `Example 0 (${classNameOf(run, ds, ds.labels[0])}) of ${ds.split}, the decoded straight line from its code to that of example ${to} (${classNameOf(run, ds, ds.labels[to])}) in 10 steps, and example ${to}.`;
  sections.push({ id: 'interpolation', title: 'Interpolation', body: figure(pngImg(encodePng(interpolateImage(interpolateExamples(run.model, ds, { from: 0, to, steps: 10 }), ds)), 'interpolation', 2), caption) });
  return sections;
}

/** MIG, SAP and DCI of the codes of `ds` against its factors, overall and per factor; none without factors. */
function disentanglementSections(run: ReportRun, ds: Dataset): Section[] {
  const d = disentanglementOf(encodeCodes(run.model, ds), ds, run.model.config.latent);
  if (!d) return [];
  const overall = htmlTable(
    ['MIG', 'SAP', 'DCI disentanglement', 'DCI completeness', 'DCI informativeness'],
    [[d.mig, d.sap, d.dci.disentanglement, d.dci.completeness, d.dci.informativeness].map(formatValue)],
    'metrics',
  );
  const perFactor = htmlTable(
    ['factor', 'MIG gap', 'SAP gap', 'DCI completeness', 'DCI accuracy'],
    d.factors.map((name, k) => [name, ...[d.perFactor.mig[k], d.perFactor.sap[k], d.perFactor.completeness[k], d.perFactor.accuracy[k]].map(formatValue)]),
    'metrics',
  );
  const note =
    `<p>Codes E[z|x] of the first ${d.examples} ${escapeHtml(ds.split)} examples against the true factors (1 is best). ` +
    'MIG: gap between the two code dimensions sharing most information with a factor, over its entropy (20 bins). ' +
    'SAP: gap between the two dimensions that best predict it alone. DCI: from per-factor linear predictors fitted on the first two thirds, ' +
    'whether each dimension serves one factor (disentanglement), each factor sits in one dimension (completeness), and their test accuracy (informativeness).</p>';
  return [{ id: 'disentanglement', title: 'Disentanglement', body: `${overall}\n${perFactor}\n${note}` }];
}

const STYLE = `body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left}
table.metrics td{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}
.scroll{overflow-x:auto}figure{margin:1em 0}figcaption{color:#555;font-size:.9em;margin-top:.4em}
img{max-width:100%;height:auto}img.pixels{image-rendering:pixelated}nav a{margin-right:1em}`;

function page(run: ReportRun, ds: Dataset, sections: Section[]): string {
  const { config } = run;
  const title = `latentkit report: ${config.model.model} on ${config.data.dataset}`;
  const meta = `${run.name ? `${run.name} · ` : ''}trained ${config.createdAt} with latentkit ${config.version}; pictures on ${ds.name} ${ds.split} (${ds.n} examples), made by latentkit ${VERSION}.`;
  const nav = sections.map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`).join('');
  const body = sections.map((s) => `<section id="${s.id}">\n<h2>${escapeHtml(s.title)}</h2>\n${s.body}\n</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(meta)}</p>
<nav>${nav}</nav>
${body}
</body>
</html>
`;
}

/**
 * The report of `run` as one HTML string, with pictures made on `dataset`
 * (usually the test split): configuration, metrics table, training curves,
 * samples (generative models), manifold (2-D codes), latent scatter, PCA vs
 * the model, disentanglement (data with known factors), reconstructions and
 * an interpolation.
 */
export async function buildReport(run: ReportRun, dataset: Dataset, options: ReportOptions = {}): Promise<string> {
  const seed = options.seed ?? 0;
  const sections = [
    ...(await trainingSections(run)),
    ...generativeSections(run, dataset, seed),
    ...(await latentSections(run, dataset, seed)),
    ...disentanglementSections(run, dataset),
    ...dataSections(run, dataset),
  ];
  return page(run, dataset, sections);
}
