/**
 * The built lab (npm run build:lab) served by `latentkit lab`'s server, in
 * Debian's chromium (headless) driven by Playwright, and the lab's Web
 * Worker, where the library runs, for tests that compute in it.
 */
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page, type Worker } from 'playwright-core';
import { buildLab } from '../src/server/lab.js';
import { tempDir } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Lab {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** The lab's server on a free port and a browser started with `args`. */
export async function startLab(args: string[] = []): Promise<Lab> {
  // With a (empty) runs folder, as `latentkit lab --runs`, so the page's list of runs is found.
  const app: FastifyInstance = await buildLab({ port: 0, host: '127.0.0.1', runs: tempDir() });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  return {
    url,
    browser,
    async close() {
      await browser.close();
      await app.close();
    },
  };
}

/** Open `query` on the lab, wait until its worker is ready, and return the page and that worker. */
export async function openLab(lab: Lab, query: string): Promise<{ page: Page; worker: Worker; errors: string[] }> {
  const page = await lab.browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${lab.url}/?${query}`);
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'ready', null, { timeout: 60_000 });
  const worker = page.workers().find((w) => /\/worker-[\w-]+\.js$/.test(w.url()));
  if (!worker) throw new Error(`no lab worker among ${page.workers().map((w) => w.url()).join(', ')}`);
  return { page, worker, errors };
}
