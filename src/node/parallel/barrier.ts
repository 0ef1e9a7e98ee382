/**
 * A reusable barrier over shared memory (generation counting): the last
 * participant to arrive resets the count and bumps the generation, which
 * wakes the others. An abort flag in the same memory releases everyone
 * with an error, so one failing participant never leaves the others hanging.
 */
import { Control } from './shared.js';

export class BarrierAborted extends Error {
  constructor() {
    super('parallel training was stopped by another participant');
  }
}

/** How long one wait may block before re-checking the abort flag. */
const POLL_MS = 250;
/** How long the main thread blocks before yielding to the event loop. */
const SPIN_MS = 50;

function arrive(control: Int32Array, participants: number): { last: boolean; generation: number } {
  const generation = Atomics.load(control, Control.Generation);
  if (Atomics.add(control, Control.Count, 1) === participants - 1) {
    Atomics.store(control, Control.Count, 0);
    Atomics.add(control, Control.Generation, 1);
    Atomics.notify(control, Control.Generation);
    return { last: true, generation };
  }
  return { last: false, generation };
}

function checkAbort(control: Int32Array): void {
  if (Atomics.load(control, Control.Abort) !== 0) throw new BarrierAborted();
}

/**
 * Blocking wait (worker threads). Throws after `timeoutMs` without the
 * others arriving (Infinity: wait as long as the abort flag stays clear).
 */
export function barrierSync(control: Int32Array, participants: number, timeoutMs: number): void {
  checkAbort(control);
  const { last, generation } = arrive(control, participants);
  if (last) return;
  const deadline = performance.now() + timeoutMs;
  while (Atomics.load(control, Control.Generation) === generation) {
    checkAbort(control);
    if (performance.now() > deadline) throw new Error(`parallel training: no progress for ${Math.round(timeoutMs / 1000)} s at a barrier`);
    Atomics.wait(control, Control.Generation, generation, POLL_MS);
  }
  checkAbort(control);
}

type WaitAsync = (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string };

/**
 * Non-blocking wait (main thread): the event loop keeps running, so worker
 * 'error' and 'exit' events and signals are handled while it waits.
 */
export async function barrierAsync(control: Int32Array, participants: number, timeoutMs: number): Promise<void> {
  checkAbort(control);
  const { last, generation } = arrive(control, participants);
  if (last) return;
  // Most waits are short (the other shard finishing): block briefly, which
  // wakes faster than the event loop; a worker that throws sets the abort flag.
  Atomics.wait(control, Control.Generation, generation, SPIN_MS);
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  const deadline = performance.now() + timeoutMs;
  while (Atomics.load(control, Control.Generation) === generation) {
    checkAbort(control);
    if (performance.now() > deadline) throw new Error(`parallel training: no progress for ${Math.round(timeoutMs / 1000)} s at a barrier`);
    const r = waitAsync(control, Control.Generation, generation, POLL_MS);
    if (r.async) await r.value;
  }
  checkAbort(control);
}

/** Release every participant with BarrierAborted. */
export function abortBarrier(control: Int32Array): void {
  Atomics.store(control, Control.Abort, 1);
  Atomics.add(control, Control.Generation, 1);
  Atomics.notify(control, Control.Generation);
}
