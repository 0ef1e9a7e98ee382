// Decode and IWAE of the default VAE against PyTorch (bench/pytorch_vae.py --inference-only,
// same architecture), in interleaved rounds on one thread and on every core: called by
// `npm run bench -- --torch` (bench/run.js), which passes its model, data and helpers.
import * as tf from '@tensorflow/tfjs-core';
import { iwaeLogLikelihood } from '../dist/index.js';
import { setComputeThreads } from '../dist/node/backend/threads.js';

const DECODE_ROWS = 1000;
const IWAE_SAMPLES = 1000;
const IWAE_EXAMPLES = 16;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function timed(fn, repeats) {
  const t0 = performance.now();
  for (let i = 0; i < repeats; i++) fn();
  return (performance.now() - t0) / repeats;
}

/** Ours, as the reference measures it: decode of 1,000 codes (the result stays a tensor), IWAE ms per example. */
function ours(model, z, few) {
  const decode = () => model.decode(z).dispose();
  timed(decode, 10);
  const decodeMs = timed(decode, 20);
  const iwae = () => iwaeLogLikelihood(model, few, { samples: IWAE_SAMPLES, seed: 0 });
  iwae();
  return { decode: decodeMs, iwae: timed(iwae, 3) / few.n };
}

/** PyTorch's decode and IWAE from one run of the reference script (memory kept, its fastest setup). */
function torch(runTorch, threads) {
  const rows = runTorch(['--inference-only'], { threads, keepMemory: true });
  const ms = (prefix) => rows.find((r) => r.name.startsWith(prefix)).ms_per_step;
  return { decode: ms('decode'), iwae: ms('iwae') };
}

/**
 * `rounds` rounds; in each, ours and PyTorch's on every thread count in turn, so a change in the
 * machine's load hits both alike. Prints medians, decoded samples per second and the ratios.
 */
export function inferenceAgainstTorch({ buildVae, data, runTorch, threadsList, rounds, backend }) {
  const model = buildVae();
  const z = tf.randomNormal([DECODE_ROWS, 20]);
  const few = { ...data, n: IWAE_EXAMPLES };
  const times = {};
  const add = (key, value) => (times[key] ??= []).push(value);
  for (let r = 0; r < rounds; r++) {
    for (const threads of threadsList) {
      setComputeThreads(threads);
      const o = ours(model, z, few);
      const t = torch(runTorch, threads);
      for (const what of ['decode', 'iwae']) {
        add(`ours:${what}:${threads}`, o[what]);
        add(`torch:${what}:${threads}`, t[what]);
      }
    }
  }
  setComputeThreads(undefined);
  z.dispose();
  model.dispose();
  for (const threads of threadsList) {
    for (const what of ['decode', 'iwae']) {
      const [mine, theirs] = [median(times[`ours:${what}:${threads}`]), median(times[`torch:${what}:${threads}`])];
      const name = what === 'decode' ? `decode ${DECODE_ROWS} codes` : `iwae K=${IWAE_SAMPLES} (ms per example, ${IWAE_EXAMPLES} examples)`;
      const perSecond = (ms) => Math.round(((what === 'decode' ? DECODE_ROWS : IWAE_SAMPLES) * 1000) / ms);
      console.log(JSON.stringify({
        name: `${name}: latentkit against pytorch, medians of ${rounds} interleaved rounds`, backend, threads,
        latentkit_ms: +mine.toFixed(2), pytorch_ms: +theirs.toFixed(2), ratio: +(mine / theirs).toFixed(2),
        latentkit_decoded_per_second: perSecond(mine), pytorch_decoded_per_second: perSecond(theirs),
        all_latentkit_ms: times[`ours:${what}:${threads}`].map((x) => +x.toFixed(2)), all_pytorch_ms: times[`torch:${what}:${threads}`],
      }));
    }
  }
}
