/** The `latentkit` command: parse, dispatch to a lazily loaded command, map errors to exit codes. */
import { isUsageError, UsageError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { commandHelp, generalHelp } from './help.js';
import { findCommand, type CommandIO } from './options.js';
import { parseCommandLine } from './parse.js';
import type { ConfigOption, ModelDefinition } from '../core/models/types.js';

async function registeredModels(): Promise<ModelDefinition[]> {
  const { loadBuiltinModels } = await import('../core/models/discover.js');
  const { listModelDefinitions } = await import('../core/models/registry.js');
  await loadBuiltinModels();
  return listModelDefinitions();
}

function interruptSignal(io: Pick<CommandIO, 'stderr'>): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr.write('\nlatentkit: interrupted; stopping after the current step (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}

/** Run the CLI with `argv` (no node/script prefix); resolves to the exit code. */
export async function main(argv: string[], io: Omit<CommandIO, 'signal'> = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const verbose = argv.includes('--verbose');
  const { signal, release } = interruptSignal(io);
  try {
    const needsModels = findCommand(argv[0] ?? '')?.modelOptions === true;
    const models = needsModels ? await registeredModels() : [];
    const modelOptions: ConfigOption[] = models.flatMap((m) => [...m.options]);
    const parsed = parseCommandLine(argv, modelOptions);
    if (parsed.values.version) {
      io.stdout.write(`${VERSION}\n`);
      return 0;
    }
    if (parsed.help || !parsed.command) {
      io.stdout.write(parsed.command ? commandHelp(parsed.command, models) : generalHelp(VERSION));
      return 0;
    }
    // Read by the wasm kernels when they first share a product out (src/backend/threads.ts).
    if (parsed.values.threads !== undefined) {
      if ((parsed.values.threads as number) < 1) throw new UsageError('--threads must be at least 1');
      process.env.LATENTKIT_THREADS = String(parsed.values.threads);
    }
    const { run } = await parsed.command.load();
    return await run(parsed.values, parsed.positionals, { ...io, signal });
  } catch (err) {
    if (isUsageError(err)) {
      io.stderr.write(`latentkit: error: ${err.message}\n`);
      if (verbose && err.stack) io.stderr.write(`${err.stack}\n`);
      return 2;
    }
    const e = err as Error;
    io.stderr.write(`latentkit: unexpected error: ${e?.message ?? String(err)}${verbose ? '' : ' (run with --verbose for details)'}\n`);
    if (verbose && e?.stack) io.stderr.write(`${e.stack}\n`);
    return 1;
  } finally {
    release();
  }
}
