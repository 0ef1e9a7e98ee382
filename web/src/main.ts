/**
 * The lab page: the training form, live curves and pictures, the latent map,
 * drawing, interpolation and attribute sliders. Everything heavy runs in the
 * worker (./worker.ts); this file only draws and forwards.
 *
 * No UI framework: the page is a few panels of inputs and canvases updated from
 * worker messages, and a framework would add weight without removing code. The
 * curves use uPlot (small, fast, maintained); the map is a plain canvas, which
 * redraws 10,000 points in a few milliseconds.
 *
 * URL parameters: any training field (`?dataset=sprites&model=vae&latent=2&epochs=1`),
 * `autostart=1` to train without clicks, `backend=auto|wasm|cpu|webgl`, `threads=N` for
 * wasm's matrix products (default: every core), `data=URL` for the MNIST files, `run=NAME` to open a run served by `latentkit lab --runs DIR`.
 */
import { zipSync } from 'fflate';
// The rule alone, not the library: the page's bundle stays without TensorFlow.js.
import { layoutImageFolder } from '../../src/core/data/image-folder';
import type { EpochView, FormField, FromWorker, ToWorker, Upload } from './protocol';
import { ServiceClient } from './service';
import { readRun, saveRun, savedRuns } from './storage';
import { LossChart } from './views/chart';
import { DrawPad } from './views/draw';
import { drawImages } from './views/images';
import { LatentMap } from './views/map';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const testId = (id: string) => document.querySelector(`[data-testid="${id}"]`) as HTMLElement;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, transfer);

let fields: FormField[] = [];
let shape: [number, number, number] = [28, 28, 1];
let trainedName = '';
const pending = new Map<number, (answer: Extract<FromWorker, { type: 'answer' }>) => void>();
let nextId = 1;
let hovering = -1;
let started = false;

/** A question to the worker, without its id. */
type Question = ToWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

/** Ask the worker and wait for its answer. */
function ask(message: Question, transfer: Transferable[] = []): Promise<Extract<FromWorker, { type: 'answer' }>> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    send({ ...message, id } as ToWorker, transfer);
  });
}

const chart = new LossChart($('chart'));
const map = new LatentMap($<HTMLCanvasElement>('map'), {
  async hover(index) {
    if (hovering === index) return;
    hovering = index;
    const answer = await ask({ type: 'example', index });
    if (!answer.images || hovering !== index) return;
    const dim = shape[0] * shape[1] * shape[2];
    drawImages($('hover-original'), answer.images.subarray(0, dim), 1, shape, 1, 3);
    drawImages($('hover-recon'), answer.images.subarray(dim), 1, shape, 1, 3);
  },
  async pick(point) {
    const answer = await ask({ type: 'decode', z: point });
    if (answer.images) drawImages($('decoded'), answer.images, 1, shape, 1, 3);
  },
});
const pad = new DrawPad($<HTMLCanvasElement>('pad'), () => void drawn());

function setStatus(status: string, detail = ''): void {
  testId('status').textContent = status;
  $('status-detail').textContent = detail;
  const training = status === 'training' || status === 'paused';
  $<HTMLButtonElement>('train').disabled = training || status === 'loading' || status === 'starting';
  $<HTMLButtonElement>('pause').disabled = !training;
  $<HTMLButtonElement>('stop').disabled = !training;
  $('pause').textContent = status === 'paused' ? 'Resume' : 'Pause';
  $<HTMLButtonElement>('export').disabled = status !== 'done';
}

function showError(message: string, field?: string): void {
  document.querySelectorAll('.field-error').forEach((e) => (e.textContent = ''));
  const beside = field ? document.querySelector(`[data-error-for="${field}"]`) : null;
  if (beside) beside.textContent = message;
  else $('error').textContent = message;
}

// --- the form, from the schema the worker sent -------------------------------------------

function control(field: FormField): HTMLElement {
  const label = document.createElement('label');
  label.title = field.description ?? '';
  label.dataset.models = field.models?.join(' ') ?? '';
  const name = document.createElement('span');
  name.textContent = field.key;
  let input: HTMLInputElement | HTMLSelectElement;
  if (field.type === 'enum') {
    input = document.createElement('select');
    for (const c of field.choices ?? []) input.append(new Option(c, c));
  } else {
    input = document.createElement('input');
    input.type = field.type === 'number' || field.type === 'integer' ? 'number' : field.type === 'boolean' ? 'checkbox' : 'text';
    if (field.minimum !== undefined) input.min = String(field.minimum);
    if (field.maximum !== undefined) input.max = String(field.maximum);
    if (field.type === 'number') input.step = 'any';
    if (field.type === 'list') input.placeholder = 'comma list';
  }
  input.name = field.key;
  const initial = params.get(field.key) ?? (field.default === undefined ? '' : Array.isArray(field.default) ? field.default.join(',') : String(field.default));
  if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = initial === 'true';
  else input.value = initial;
  const error = document.createElement('small');
  error.className = 'field-error';
  error.dataset.errorFor = field.key;
  label.append(name, input, error);
  return label;
}

function buildForm(): void {
  const form = $('form');
  form.replaceChildren(...fields.map(control));
  const model = form.querySelector<HTMLSelectElement>('[name=model]')!;
  const showOptions = () => form.querySelectorAll<HTMLElement>('label[data-models]').forEach((l) => (l.hidden = l.dataset.models !== '' && !l.dataset.models!.split(' ').includes(model.value)));
  model.addEventListener('change', showOptions);
  showOptions();
}

/** The form as a request: only what differs from the defaults, typed as the schema says. */
function request(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const input = document.querySelector<HTMLInputElement>(`#form [name="${field.key}"]`)!;
    if ((input.closest('label') as HTMLElement).hidden) continue;
    const raw = input.type === 'checkbox' ? String(input.checked) : input.value.trim();
    if (raw === '') continue;
    if (field.type === 'number' || field.type === 'integer') out[field.key] = Number(raw);
    else if (field.type === 'list') out[field.key] = raw.split(',').map((s) => (Number.isNaN(Number(s)) ? s.trim() : Number(s)));
    else if (field.type === 'boolean') out[field.key] = raw === 'true';
    else out[field.key] = raw;
  }
  return out;
}

// --- pictures -------------------------------------------------------------------------------

function showEpoch(v: EpochView): void {
  const dim = shape[0] * shape[1] * shape[2];
  if (v.metrics.epoch !== undefined) {
    chart.add(v.metrics);
    testId('epoch').textContent = String(v.metrics.epoch);
    testId('test-loss').textContent = v.metrics.test_loss!.toFixed(3);
    if (v.metrics.samples_per_second !== undefined) $('speed').textContent = String(Math.round(v.metrics.samples_per_second));
  }
  if (v.samples) drawImages($('samples'), v.samples, v.samples.length / dim, shape, 8);
  const n = v.originals.length / dim;
  const both = new Float32Array(2 * n * dim);
  both.set(v.originals);
  both.set(v.recons, n * dim);
  drawImages($('recons'), both, 2 * n, shape, n);
  map.set(v.map, v.labels);
  $('map-kind').textContent = v.manifold ? '(the 2-D codes)' : '(PCA of the codes)';
  $<HTMLSelectElement>('projection').value = 'pca';
  $('manifold-box').hidden = !v.manifold;
  if (v.manifold) drawImages($('manifold'), v.manifold.images, v.manifold.grid ** 2, shape, v.manifold.grid, 1);
}

async function drawn(): Promise<void> {
  const pixels = pad.pixels(shape[0], shape[1], shape[2]);
  const answer = await ask({ type: 'encode', pixels }, [pixels.buffer]);
  if (!answer.images) return;
  drawImages($('draw-recon'), answer.images, 1, shape, 1, 3);
  if (answer.point) map.mark(answer.point);
  if (answer.neighborImages && answer.neighbors?.length) drawImages($('draw-neighbors'), answer.neighborImages, answer.neighbors.length, shape, answer.neighbors.length, 2);
  $('draw-score').textContent = `anomaly score ${answer.score!.toFixed(1)} (reconstruction error); ${(100 * answer.threshold!).toFixed(0)}% of test examples score lower`;
}

// --- the user's own data ---------------------------------------------------------------------

/** A picked file's path below the picked folder (its own name when files, not a folder, were picked). */
const relOf = (f: File) => f.webkitRelativePath.split('/').slice(1).join('/') || f.name;

/**
 * Images decoded in the page as the CLI decodes image folders: split and
 * labelled by the CLI's rule (class subfolders; train/ and test/ subfolders as
 * the splits, else a held-out tenth by a hash of each path), the short side
 * resized to `size`, the centre square kept, transparency over black; RGB when
 * any image has colour, else grey.
 */
async function decodeImages(picked: File[], size: number): Promise<Extract<Upload, { kind: 'images' }>> {
  const layout = layoutImageFolder(picked.map(relOf));
  const files = layout.images.map((im) => picked[im.index]!);
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const area = size * size;
  const rgba = new Uint8ClampedArray(files.length * area * 4);
  for (const [i, file] of files.entries()) {
    const bitmap = await createImageBitmap(file);
    const side = Math.min(bitmap.width, bitmap.height);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, size, size);
    ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, size, size);
    bitmap.close();
    rgba.set(ctx.getImageData(0, 0, size, size).data, i * area * 4);
  }
  let colour = false;
  for (let p = 0; p < rgba.length && !colour; p += 4) colour = rgba[p] !== rgba[p + 1] || rgba[p + 1] !== rgba[p + 2];
  const channels = colour ? 3 : 1;
  const pixels = new Float32Array(files.length * area * channels);
  for (let p = 0; p < files.length * area; p++) {
    if (colour) for (let c = 0; c < 3; c++) pixels[p * 3 + c] = rgba[4 * p + c]! / 255;
    else pixels[p] = rgba[4 * p]! / 255;
  }
  return {
    kind: 'images',
    pixels,
    shape: [size, size, channels],
    labels: Int32Array.from(layout.images, (im) => im.label),
    classNames: layout.classNames ?? [],
    test: Uint8Array.from(layout.images, (im) => (im.split === 'test' ? 1 : 0)),
    splitFolders: layout.splitFolders,
  };
}

async function useFiles(list: File[]): Promise<void> {
  showError('');
  const csv = list.find((f) => f.name.endsWith('.csv'));
  const images = list.filter((f) => /\.(png|jpe?g|webp)$/i.test(f.name));
  let upload: Upload;
  if (csv) upload = { kind: 'csv', name: csv.name, text: await csv.text() };
  else if (images.length > 0) upload = await decodeImages(images, Number($<HTMLSelectElement>('image-size').value));
  else upload = { kind: 'idx', files: await Promise.all(list.map(async (f) => [f.name, new Uint8Array(await f.arrayBuffer())] as [string, Uint8Array])) };
  send({ type: 'upload', upload });
}

// --- runs -----------------------------------------------------------------------------------

async function exportRun(): Promise<void> {
  const answer = await ask({ type: 'export' });
  const name = trainedName || 'lab-run';
  const zip = zipSync(Object.fromEntries(answer.files!.map(([p, b]) => [`${name}/${p}`, b])));
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([zip], { type: 'application/zip' }));
  link.download = `${name}.zip`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function refreshSaved(): Promise<void> {
  const select = $<HTMLSelectElement>('saved');
  select.replaceChildren(new Option('–', ''), ...(await savedRuns()).map((n) => new Option(n, n)));
}

async function loadServed(name: string): Promise<void> {
  const listing = (await (await fetch(`api/runs/${encodeURIComponent(name)}`)).json()) as { files: string[] };
  const files = await Promise.all(listing.files.map(async (f) => [f, new Uint8Array(await (await fetch(`api/runs/${encodeURIComponent(name)}/${f}`)).arrayBuffer())] as [string, Uint8Array]));
  send({ type: 'load-run', name, files });
}

async function listServed(): Promise<void> {
  try {
    const response = await fetch('api/runs');
    if (!response.ok) return;
    const { runs } = (await response.json()) as { runs: string[] };
    $<HTMLSelectElement>('served').replaceChildren(new Option('–', ''), ...runs.map((n) => new Option(n, n)));
  } catch {
    // a static host: no runs served
  }
}

// --- wiring ---------------------------------------------------------------------------------

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'backend':
      testId('backend').textContent = m.name;
      testId('threads').textContent = m.name === 'wasm' ? `${m.threads} thread${m.threads === 1 ? '' : 's'}` : '';
      break;
    case 'form':
      fields = m.fields;
      buildForm();
      break;
    case 'status':
      setStatus(m.status, m.detail);
      if (m.status === 'ready' && !started) {
        started = true;
        if (params.get('run')) void loadServed(params.get('run')!);
        else if (params.get('autostart') === '1') startTraining();
      }
      if (m.status === 'done' && trainedName) void ask({ type: 'export' }).then((a) => saveRun(trainedName, a.files!)).then(refreshSaved);
      break;
    case 'info':
      shape = m.shape;
      break;
    case 'dataset': {
      // The uploaded data becomes a choice of the dataset field, and the chosen one.
      const select = document.querySelector<HTMLSelectElement>('#form [name=dataset]')!;
      if (![...select.options].some((o) => o.value === m.name)) select.append(new Option(m.name, m.name));
      select.value = m.name;
      $('status-detail').textContent = `data: ${m.detail}`;
      break;
    }
    case 'progress':
      $<HTMLProgressElement>('progress').value = m.step / m.steps;
      $('speed').textContent = String(Math.round(m.imagesPerSecond));
      break;
    case 'epoch':
      showEpoch(m.view);
      break;
    case 'error':
      showError(m.message, m.field);
      setStatus('ready');
      break;
    case 'answer':
      pending.get(m.id)?.(m);
      pending.delete(m.id);
      break;
  }
};
worker.onerror = (e) => showError(`the worker failed: ${e.message}`);

$('form').addEventListener('submit', (e) => e.preventDefault());
function startTraining(): void {
  showError('');
  const r = request();
  trainedName = `${r.model ?? 'vae'}-${r.dataset ?? 'sprites'}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`;
  chart.reset();
  send({ type: 'train', request: r });
}
$('train').addEventListener('click', startTraining);
$('pause').addEventListener('click', () => send({ type: testId('status').textContent === 'paused' ? 'resume' : 'pause' }));
$('stop').addEventListener('click', () => send({ type: 'stop' }));
$('export').addEventListener('click', () => void exportRun());
$('saved').addEventListener('change', async (e) => {
  const name = (e.target as HTMLSelectElement).value;
  const files = name ? await readRun(name) : undefined;
  if (files) send({ type: 'load-run', name, files });
});
$('served').addEventListener('change', (e) => {
  const name = (e.target as HTMLSelectElement).value;
  if (name) void loadServed(name);
});
$('run-files').addEventListener('change', async (e) => {
  const list = [...((e.target as HTMLInputElement).files ?? [])];
  // A dropped folder's paths start with its own name.
  const files = await Promise.all(list.map(async (f) => [f.webkitRelativePath.split('/').slice(1).join('/') || f.name, new Uint8Array(await f.arrayBuffer())] as [string, Uint8Array]));
  send({ type: 'load-run', name: list[0]?.webkitRelativePath.split('/')[0] || 'dropped', files });
});
$('projection').addEventListener('change', async (e) => {
  const method = (e.target as HTMLSelectElement).value as 'pca' | 'umap';
  $('map-kind').textContent = `(${method === 'umap' ? 'computing UMAP…' : 'PCA'})`;
  const answer = await ask({ type: 'projection', method });
  if (!answer.points || !answer.labels) return;
  map.set(answer.points, answer.labels);
  $('map-kind').textContent = `(${answer.method})`;
});
for (const id of ['data-files', 'data-folder']) $(id).addEventListener('change', (e) => void useFiles([...((e.target as HTMLInputElement).files ?? [])]));
$('clear').addEventListener('click', () => pad.clear());
$('upload').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void pad.load(file);
});
$('temperature').addEventListener('input', async (e) => {
  const temperature = Number((e.target as HTMLInputElement).value);
  $('temperature-value').textContent = String(temperature);
  const answer = await ask({ type: 'samples', temperature });
  if (answer.images) drawImages($('samples'), answer.images, 64, shape, 8);
});
$('interpolate').addEventListener('click', async () => {
  const steps = 10;
  const answer = await ask({ type: 'interpolate', from: Number($<HTMLInputElement>('from').value), to: Number($<HTMLInputElement>('to').value), path: $<HTMLSelectElement>('path').value as 'line', steps });
  if (answer.images) drawImages($('interpolation'), answer.images, steps, shape, steps, 2);
});
$('alpha').addEventListener('input', async (e) => {
  const alpha = Number((e.target as HTMLInputElement).value);
  $('alpha-value').textContent = String(alpha);
  const answer = await ask({ type: 'attribute', label: Number($<HTMLInputElement>('attr-label').value), example: Number($<HTMLInputElement>('attr-example').value), alpha });
  if (answer.images) drawImages($('attribute'), answer.images, 1, shape, 1, 4);
});

/** For scripts driving the page: decode latent codes with the current model (what `latentkit sample` decodes). */
(window as unknown as { latentkitLab: unknown }).latentkitLab = {
  decode: async (z: number[]) => Array.from((await ask({ type: 'decode', z, raw: true })).images ?? []),
};

/** With `?service=URL`, the page uses a running `latentkit serve` for samples and drawings instead of its worker. */
async function useService(client: ServiceClient): Promise<void> {
  const model = await client.connect();
  shape = model.inputShape;
  testId('backend').textContent = `service ${client.base}`;
  setStatus('done', `model ${model.name} of the service`);
  if (model.supports.sample) drawImages($('samples'), await client.sample(64, 1), 64, shape, 8);
  $('temperature').oninput = async (e) => drawImages($('samples'), await client.sample(64, Number((e.target as HTMLInputElement).value)), 64, shape, 8);
  pad.onChange = async () => {
    const pixels = pad.pixels(shape[0], shape[1], shape[2]);
    drawImages($('draw-recon'), await client.reconstruct(pixels), 1, shape, 1, 3);
    const code = await client.encode(pixels);
    const scored = model.supports.score ? await client.score(pixels) : undefined;
    $('draw-score').textContent = `code (${code.map((v) => v.toFixed(2)).join(', ')})${scored ? `; anomaly score ${scored.scores[0]!.toFixed(1)}, threshold ${scored.threshold.toFixed(1)}` : ''}`;
  };
}

/** ?threads=N, a positive integer (anything else is refused once, and the default used). */
function threadsParam(): number | undefined {
  const text = params.get('threads');
  if (text === null) return undefined;
  const n = Number(text);
  if (Number.isInteger(n) && n >= 1) return n;
  showError(`threads must be a positive integer, got '${text}'`);
  return undefined;
}

setStatus('starting');
void refreshSaved();
void listServed();
const service = params.get('service');
if (service) void useService(new ServiceClient(service, params.get('serviceModel') ?? '')).catch((err: Error) => showError(`service: ${err.message}`));
else send({ type: 'init', backend: (params.get('backend') as 'auto') ?? 'auto', threads: threadsParam(), dataUrl: new URL(params.get('data') ?? 'data', location.href).href, base: new URL(import.meta.env.BASE_URL, location.href).href });
