// Image folders through the built CLI: train on images:<folder> with class subfolders and an attribute
// table, then eval, sample, edit and plot read the run's data the same way; bad images are
// refused before anything is written, or skipped with --skip-bad.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSprites } from '../src/core/data/sprites.js';
import { searchBody } from '../src/core/serve/bodies.js';
import { parseRequest } from '../src/core/requests/validate.js';
import { loadService } from '../src/server/runs.js';
import { BIN, setup, tempDir } from './helpers.js';
import { toBytes, writeLossy, writePng } from './image-files.js';
import { examplePixels } from '../src/core/data/pixels.js';

let cwd: string;
let cache: string;

/** `latentkit ARGS` in the test folder, with the image cache in a temporary folder. */
function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** 60 sprites, drawn in red (folder red/) or blue (folder blue/), PNG or JPEG; attrs.csv has each one's scale. */
async function photoFolder(): Promise<void> {
  const sprites = generateSprites({ split: 'train', n: 60 });
  const rows = ['file,big,scale'];
  const scales = Array.from({ length: 60 }, (_, i) => sprites.factors!.values[i * 5 + 1]!);
  const median = [...scales].sort((a, b) => a - b)[30]!;
  for (let i = 0; i < 60; i++) {
    const grey = toBytes(examplePixels(sprites, i));
    const colour = i % 2 === 0 ? 'red' : 'blue';
    const rgb = new Uint8Array(784 * 3);
    grey.forEach((v, p) => (rgb[p * 3 + (colour === 'red' ? 0 : 2)] = v));
    const file = path.join(cwd, 'photos', colour, `s${i}.${i % 3 === 0 ? 'jpg' : 'png'}`);
    if (i % 3 === 0) await writeLossy(file, rgb, 28, 28, 3);
    else writePng(file, rgb, 28, 28, 3);
    rows.push(`s${i}.${i % 3 === 0 ? 'jpg' : 'png'},${scales[i]! >= median ? 1 : 0},${scales[i]}`);
  }
  fs.writeFileSync(path.join(cwd, 'attrs.csv'), `${rows.join('\n')}\n`);
}

describe('images:<folder> through the CLI', () => {
  beforeAll(async () => {
    expect(fs.existsSync(BIN), 'run `npx tsc -p tsconfig.build.json` first').toBe(true);
    cwd = tempDir('latentkit-images-cli-');
    cache = path.join(cwd, 'cache');
    await photoFolder();
  });

  it('trains on a folder, records how it was read, and eval, sample, edit and plot reread it', async () => {
    const train = run(['train', '--model', 'vae', '--dataset', 'images:photos', '--image-size', '16', '--attributes', 'attrs.csv', '--epochs', '1', '--hidden', '32', '--latent', '2', '--batch-size', '16', '--workers', '1', '--out', 'run', '--quiet']);
    expect(train.code, train.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(cwd, 'run', 'config.json'), 'utf8'));
    expect(config.data).toMatchObject({ dataset: 'images:photos', shape: [16, 16, 3], numClasses: 2, classNames: ['blue', 'red'], images: { imageSize: 16, channels: 3, attributes: 'attrs.csv' } });
    expect(fs.readdirSync(path.join(cache, 'latentkit', 'datasets', 'images')).filter((f) => f.endsWith('.u8')).length).toBe(2); // one per split

    const evaluated = run(['eval', '--run', 'run', '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const result = JSON.parse(evaluated.stdout);
    expect(result.examples + config.data.trainExamples).toBe(60);

    expect(run(['sample', '--run', 'run', '--n', '4', '--out', 'samples.png']).code).toBe(0);
    expect((await sharp(path.join(cwd, 'samples.png')).metadata()).width).toBeGreaterThan(16);

    const edit = run(['edit', '--run', 'run', '--split', 'train', '--attribute', 'big', '--alpha', '0,1', '--n', '3', '--out', 'edit.png', '--json']);
    expect(edit.code, edit.stderr).toBe(0);
    const edited = JSON.parse(edit.stdout);
    expect(edited).toMatchObject({ attribute: 'big', rule: 'factor big = 1' });
    expect(edited.positives + edited.negatives).toBe(config.data.trainExamples);
    expect(edited.files).toHaveLength(edited.examples.length);
    for (const file of edited.files) expect(fs.existsSync(path.join(cwd, 'photos', file))).toBe(true);

    const plot = run(['plot', 'latent', '--run', 'run', '--split', 'train', '--color-by', 'scale', '--out', 'latent.svg']);
    expect(plot.code, plot.stderr).toBe(0);
    expect(fs.readFileSync(path.join(cwd, 'latent.svg'), 'utf8')).toMatch(/scale &gt; 0\.\d+|scale > 0\.\d+/);
  });

  it('encode, detect score, search query and the service name examples by their files', async () => {
    const trained = run(['train', '--model', 'ae', '--dataset', 'images:photos', '--image-size', '8', '--epochs', '1', '--hidden', '8', '--latent', '2', '--workers', '1', '--out', 'named', '--quiet']);
    expect(trained.code, trained.stderr).toBe(0);
    // The class of a file is its folder (blue 0, red 1): a file column out of step with the rows would disagree with the labels.
    const classOf = (file: string) => ['blue', 'red'].indexOf(file.split('/')[0]!);
    const all = fs.readdirSync(path.join(cwd, 'photos'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(png|jpg)$/.test(f));

    expect(run(['encode', '--run', 'named', '--split', 'train', '--out', 'codes.csv']).code).toBe(0);
    const [head, ...rows] = fs.readFileSync(path.join(cwd, 'codes.csv'), 'utf8').trim().split('\n');
    expect(head).toBe('file,label,z1,z2');
    const files = rows.map((r) => r.split(',')[0]!);
    expect(rows.map((r) => Number(r.split(',')[1]))).toEqual(files.map(classOf));
    expect(new Set(files).size).toBe(files.length);
    files.forEach((f) => expect(all).toContain(f));

    expect(run(['detect', 'fit', '--run', 'named']).code).toBe(0);
    const scored = run(['detect', 'score', '--run', 'named', '--split', 'train', '--out', 'scores.csv']);
    expect(scored.code, scored.stderr).toBe(0);
    const ids = fs.readFileSync(path.join(cwd, 'scores.csv'), 'utf8').trim().split('\n').slice(1).map((r) => r.split(',')[0]);
    expect(ids).toEqual(files);

    expect(run(['search', 'index', '--run', 'named', '--split', 'train']).code).toBe(0);
    const query = run(['search', 'query', '--run', 'named', '--split', 'train', '--query', '4', '--neighbors', '3', '--json']);
    expect(query.code, query.stderr).toBe(0);
    const answer = JSON.parse(query.stdout).queries[0];
    expect(answer).toMatchObject({ row: 4, file: files[4], query: `train example 4 (${files[4]})` });
    for (const hit of answer.neighbors) expect(hit).toMatchObject({ file: files[hit.index], label: classOf(hit.file) });
    const text = run(['search', 'query', '--run', 'named', '--split', 'train', '--query', '4', '--neighbors', '3']).stdout;
    expect(text).toContain(`  ${answer.neighbors[0].file}\n`);

    const between = run(['interpolate', '--run', 'named', '--split', 'train', '--from', '0', '--to', '3', '--steps', '2', '--out', 'path.png', '--json']);
    expect(between.code, between.stderr).toBe(0);
    expect(JSON.parse(between.stdout)).toMatchObject({ fromFile: files[0], toFile: files[3] });

    await setup('cpu');
    const service = await loadService({ name: 'named', dir: path.join(cwd, 'named') });
    const dim = 8 * 8 * 3;
    const first = Array.from({ length: dim }, (_, i) => (i % 7) / 7);
    const served = service.search(parseRequest(searchBody, { inputs: [first], k: 5 }));
    for (const hit of served.neighbors[0]!) expect(hit.file).toBe(files[hit.index]);
  });

  it('refuses a bad image before writing anything (exit 2, the file named), or skips it with --skip-bad', () => {
    const bad = path.join(cwd, 'photos', 'red', 'broken.png');
    fs.writeFileSync(bad, 'not a png');
    try {
      const base = ['train', '--model', 'ae', '--dataset', 'images:photos', '--image-size', '8', '--epochs', '1', '--hidden', '8', '--latent', '2', '--workers', '1', '--quiet'];
      const refused = run([...base, '--out', 'refused']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`${path.join('photos', 'red', 'broken.png')}: not a readable image`);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(fs.existsSync(path.join(cwd, 'refused'))).toBe(false);
      const skipped = run([...base, '--skip-bad', '--out', 'skipped']);
      expect(skipped.code, skipped.stderr).toBe(0);
      expect(skipped.stderr).toMatch(/skipped 1 unreadable image\(s\): red\/broken\.png/);
      expect(JSON.parse(fs.readFileSync(path.join(cwd, 'skipped', 'config.json'), 'utf8')).data.images).toMatchObject({ skipBad: true, imageSize: 8 });
      const channels = run([...base, '--channels', '2', '--out', 'two']);
      expect(channels.code).toBe(2);
      expect(channels.stderr).toMatch(/--channels must be 1 \(grey\) or 3 \(RGB\)/);
    } finally {
      fs.rmSync(bad);
    }
  });
});
