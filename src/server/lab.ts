/**
 * `latentkit lab`'s local server: the built page (dist/lab) with the headers
 * that make it cross-origin isolated (so wasm may use threads), MNIST-style
 * datasets from the local data folder or cache, and the run folders of
 * --runs DIR for the page to open.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { UsageError } from '../core/errors.js';
import { idxFileNames } from '../core/data/idx.js';
import type { LabRequest } from '../core/requests/serve.js';
import { RUN_NAME } from '../core/requests/serve.js';
import { REMOTE_DATASETS, locateDataset, type RemoteDatasetName } from '../node/data/sources.js';

/** Where `npm run build:lab` puts the page: dist/lab of the package (this file is in src/server or dist/server). */
export const LAB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/lab');

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

export async function buildLab(request: LabRequest, env: NodeJS.ProcessEnv = process.env): Promise<FastifyInstance> {
  if (!fs.existsSync(path.join(LAB_DIR, 'index.html'))) throw new UsageError(`the lab is not built (no ${LAB_DIR}/index.html); run npm run build:lab`);
  const runsDir = request.runs === undefined ? undefined : path.resolve(request.runs);
  if (runsDir !== undefined && !fs.statSync(runsDir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--runs ${request.runs} is not a folder`);
  const app = Fastify({ logger: false });
  app.addHook('onSend', async (_request, reply) => {
    for (const [k, v] of Object.entries(ISOLATION)) reply.header(k, v);
  });
  await app.register(fastifyStatic, { root: LAB_DIR, index: 'index.html' });

  app.get('/data/:name/:file', async (req, reply) => {
    const { name, file } = req.params as { name: string; file: string };
    if (!Object.hasOwn(REMOTE_DATASETS, name)) return reply.code(404).send({ detail: `no dataset ${name}` });
    const split = Object.values(idxFileNames('train')).some((f) => file.startsWith(f)) ? 'train' : Object.values(idxFileNames('test')).some((f) => file.startsWith(f)) ? 'test' : undefined;
    if (!split) return reply.code(404).send({ detail: `no file ${file} in ${name}` });
    const folder = await locateDataset(name as RemoteDatasetName, split, { dataDir: request.dataDir, env, quiet: true });
    const base = file.replace(/\.gz$/, '');
    const found = [`${base}.gz`, base].map((f) => path.join(folder, f)).find((f) => fs.existsSync(f));
    if (!found) return reply.code(404).send({ detail: `no file ${file} in ${folder}` });
    return reply.type('application/octet-stream').send(fs.createReadStream(found));
  });

  const runFolder = (name: string) => {
    if (runsDir === undefined || !RUN_NAME.test(name)) return undefined;
    const dir = path.join(runsDir, name);
    return fs.existsSync(path.join(dir, 'config.json')) ? dir : undefined;
  };
  app.get('/api/runs', async (_req, reply) => {
    if (runsDir === undefined) return reply.code(404).send({ detail: 'no --runs folder given' });
    return { runs: fs.readdirSync(runsDir).filter((n) => runFolder(n) !== undefined).sort() };
  });
  app.get('/api/runs/:name', async (req, reply) => {
    const dir = runFolder((req.params as { name: string }).name);
    if (!dir) return reply.code(404).send({ detail: 'no such run' });
    // What loading needs: the config and the networks (not checkpoints or pictures).
    return { files: filesUnder(dir).filter((f) => f === 'config.json' || f.startsWith('model/')) };
  });
  app.get('/api/runs/:name/*', async (req, reply) => {
    const dir = runFolder((req.params as { name: string }).name);
    const rest = (req.params as { '*': string })['*'];
    const file = dir === undefined ? undefined : path.resolve(dir, rest);
    // The path must stay inside the run folder.
    if (!dir || !file || !file.startsWith(dir + path.sep) || !fs.existsSync(file)) return reply.code(404).send({ detail: 'no such file' });
    return reply.type('application/octet-stream').send(fs.createReadStream(file));
  });
  return app;
}
