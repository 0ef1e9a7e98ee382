/** Training progress: a live bar on a terminal, plain lines otherwise (CI logs). */
import cliProgress from 'cli-progress';
import type { EpochMetrics, StepProgress } from '../core/train/trainer.js';

export interface ProgressReporter {
  step(p: StepProgress): void;
  epoch(m: EpochMetrics): void;
  stop(): void;
}

function formatEpoch(m: EpochMetrics): string {
  const terms = Object.keys(m)
    .filter((k) => k.startsWith('test_') && k !== 'test_loss')
    .map((k) => `${k.slice(5)} ${m[k].toFixed(2)}`)
    .join(', ');
  return `epoch ${m.epoch}: train loss ${m.train_loss.toFixed(2)}, test loss ${m.test_loss.toFixed(2)} (${terms}), ${m.seconds.toFixed(1)} s, ${Math.round(m.samples_per_second)} samples/s`;
}

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, options: { quiet?: boolean }): ProgressReporter {
  if (options.quiet) return { step() {}, epoch() {}, stop() {} };
  if (!stream.isTTY) {
    let lastQuarter = -1;
    return {
      step(p) {
        const quarter = Math.floor((4 * p.step) / p.steps);
        if (quarter !== lastQuarter && quarter < 4 && p.step > 1) {
          lastQuarter = quarter;
          stream.write(`epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps}: loss ${p.loss.toFixed(2)}, ${Math.round(p.samplesPerSecond)} samples/s\n`);
        }
      },
      epoch(m) {
        lastQuarter = -1;
        stream.write(`${formatEpoch(m)}\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream, format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} | loss {loss} | {speed} samples/s', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let active = false;
  return {
    step(p) {
      const payload = { epoch: p.epoch, epochs: p.epochs, loss: p.loss.toFixed(2), speed: Math.round(p.samplesPerSecond) };
      if (!active) {
        bar.start(p.steps, p.step, payload);
        active = true;
      } else bar.update(p.step, payload);
    },
    epoch(m) {
      if (active) bar.stop();
      active = false;
      stream.write(`${formatEpoch(m)}\n`);
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}
