/** What every command does around its job: start the engine, build the Node context, write outputs. */
import type { JobContext, JobProgress } from '../../core/jobs/context.js';
import type { BackendChoice } from '../../core/backend/choices.js';
import { encodePng, type Picture } from '../../core/viz/grid.js';
import { nodeContext } from '../../node/context.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import { useEngine } from '../../node/run/train-run.js';
import type { CliFlags, CommandIO } from '../commands.js';

/** The request fields every command shares. */
export interface CommonRequest {
  backend?: BackendChoice;
  threads?: number;
}

/**
 * Progress of a long job on stderr: one updated line on a terminal, a plain
 * line every tenth of the way in a log, nothing with --quiet or --json.
 */
export function progressReporter(io: CommandIO, cli: CliFlags): ((p: JobProgress) => void) | undefined {
  if (cli.quiet || cli.json) return undefined;
  let lastTenth = -1;
  return ({ what, done, total }) => {
    if (io.stderr.isTTY) {
      io.stderr.write(`\r${what}: ${done}/${total}${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((10 * done) / Math.max(1, total));
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      io.stderr.write(`${what}: ${done}/${total}\n`);
    }
  };
}

/** Start the backend the request asks for and give the Node context of a job. */
export async function jobContext(io: CommandIO, request: CommonRequest, cli: CliFlags): Promise<JobContext> {
  await useEngine(request);
  return nodeContext({ quiet: cli.quiet, signal: io.signal, progress: progressReporter(io, cli) });
}

export function writePicture(out: string, picture: Picture): void {
  writeFileAtomic(out, encodePng(picture));
}

/** One JSON line on stdout. */
export function printJson(io: CommandIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}
