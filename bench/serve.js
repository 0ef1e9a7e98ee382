#!/usr/bin/env node
// The model service under load: `latentkit serve` with and without dynamic batching,
// against the reference a Python user would write (FastAPI + uvicorn + PyTorch,
// bench/serve_fastapi.py) serving the same weights, in one run.
//
//   npm run bench -- --serve                 (or: node bench/serve.js after npm run build)
//   options: --duration S (per measurement, default 5), --connections 1,16,64,
//            --python PATH (default /usr/bin/python3), --no-torch, --backend NAME (default wasm),
//            --wait MS (the batching server's --max-wait-ms, default 0)
//
// The model is the running example, a 784-400-20 VAE, trained one epoch on 10,000 MNIST
// images (sprites of the same shape without LATENTKIT_DATA_DIR), with a recon-score detector.
// Each request is one 28×28 image as a JSON row. autocannon drives every server with the
// same bodies; one JSON line per measurement, then a Markdown table.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '../bin/latentkit.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const DURATION = Number(option('duration', 5));
const CONNECTIONS = option('connections', '1,16,64').split(',').map(Number);
const BACKEND = option('backend', 'wasm');
const WAIT = option('wait', '0');
const python = option('python', '/usr/bin/python3');
const withTorch = !args.includes('--no-torch');

function latentkit(argv, cwd) {
  const r = spawnSync(process.execPath, [bin, ...argv], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`latentkit ${argv.join(' ')}: ${r.stderr}`);
}

/** Start a server process and resolve once `ready` answers. */
async function startProcess(command, argv, url) {
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${command} exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`${command} did not start: ${stderr}`);
}

const stop = (child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')));

let totalRequests = 0;
async function load(url, route, body, connections) {
  const result = await autocannon({ url: `${url}${route}`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: DURATION });
  totalRequests += result.requests.total;
  return { requests_per_second: Math.round(result.requests.average), p50_ms: result.latency.p50, p99_ms: result.latency.p99, errors: result.errors + result.non2xx };
}

/** Tensors alive and heap in use, from a latentkit server's /metrics. */
async function gauges(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { tensors: value('latentkit_tensors'), heap_mib: Math.round(value('latentkit_heap_bytes') / 2 ** 20) };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latentkit-bench-serve-'));
const run = path.join(dir, 'vae');
// The CLI runs in a temporary folder: a relative data folder must not change meaning.
if (process.env.LATENTKIT_DATA_DIR) process.env.LATENTKIT_DATA_DIR = path.resolve(process.env.LATENTKIT_DATA_DIR);
const dataset = process.env.LATENTKIT_DATA_DIR ? 'mnist' : 'sprites';
latentkit(['train', '--model', 'vae', '--dataset', dataset, '--limit', '10000', '--epochs', '1', '--hidden', '400', '--latent', '20', '--out', run, '--quiet'], dir);
latentkit(['detect', 'fit', '--run', run, '--score', 'recon', '--limit', '2000', '--quiet'], dir);

// One image row: a fixed pattern in [0, 1].
const body = JSON.stringify({ inputs: [Array.from({ length: 784 }, (_, j) => ((j * 7919) % 1000) / 1000)] });
const servers = [
  { name: 'latentkit serve (batching)', start: (port) => startProcess(process.execPath, [bin, 'serve', '--run', run, '--port', String(port), '--backend', BACKEND, '--max-batch', '64', '--max-wait-ms', WAIT], `http://127.0.0.1:${port}`) },
  { name: 'latentkit serve (no batching)', start: (port) => startProcess(process.execPath, [bin, 'serve', '--run', run, '--port', String(port), '--backend', BACKEND, '--max-batch', '1'], `http://127.0.0.1:${port}`) },
];
if (withTorch) servers.push({ name: 'FastAPI + uvicorn + PyTorch', start: (port) => startProcess(python, [path.join(here, 'serve_fastapi.py'), '--run', run, '--port', String(port)], `http://127.0.0.1:${port}`) });

const rows = [];
let port = 18_300;
for (const server of servers) {
  const url = `http://127.0.0.1:${++port}`;
  const child = await server.start(port);
  const ours = server.name.startsWith('latentkit');
  try {
    totalRequests = 0;
    for (const route of ['/v1/encode', '/v1/score']) await load(url, route, body, 4); // warm-up
    const before = ours ? await gauges(url) : undefined;
    totalRequests = 0;
    for (const route of ['/v1/encode', '/v1/score']) {
      for (const connections of CONNECTIONS) {
        const row = { server: server.name, route, connections, ...(await load(url, route, body, connections)) };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
    // Nothing grows with the number of requests served: tensors alive and heap before and after.
    if (ours) console.log(JSON.stringify({ server: server.name, requests: totalRequests, before, after: await gauges(url) }));
  } finally {
    await stop(child);
  }
}
fs.rmSync(dir, { recursive: true, force: true });

console.log(`\n${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}, backend ${BACKEND}, ${DURATION} s per line, one JSON image row per request\n`);
console.log('| server | route | clients | requests/s | p50 ms | p99 ms | errors |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.server} | ${r.route} | ${r.connections} | ${r.requests_per_second} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} |`);
