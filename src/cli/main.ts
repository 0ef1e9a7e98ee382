/** The `latentkit` command: parse and check, dispatch to a lazily loaded command, map errors to exit codes. */
import { isUsageError, kebabCase, FieldError, UsageError } from '../core/errors.js';
import type { ModelDefinition } from '../core/models/types.js';
import { VERSION } from '../core/version.js';
import { findCommand, type CommandIO } from './commands.js';
import { commandHelp, generalHelp } from './help.js';
import { parseCommandLine } from './parse.js';

async function registeredModels(): Promise<ModelDefinition[]> {
  const { listModelDefinitions } = await import('../core/models/registry.js');
  return listModelDefinitions();
}

/**
 * Ctrl-C for commands that stop gracefully: the first asks the command to
 * stop (it finishes its step and saves), the second quits at once. Other
 * commands install nothing, so Ctrl-C ends them at once, even inside a long
 * computation (a handler would only run after it).
 */
function interruptSignal(io: Pick<CommandIO, 'stderr'>, graceful: boolean): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  if (!graceful) return { signal: controller.signal, release: () => undefined };
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr.write('\nlatentkit: interrupted; stopping after the current step (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}

/** A problem with one field, spelled as its flag. */
export function errorLine(err: UsageError): string {
  return err instanceof FieldError ? err.render((field) => `--${kebabCase(field)}`) : err.message;
}

/** Run the CLI with `argv` (no node/script prefix); resolves to the exit code. */
export async function main(argv: string[], io: Omit<CommandIO, 'signal'> = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const verbose = argv.includes('--verbose');
  let release = (): void => undefined;
  try {
    const command = findCommand(argv[0] ?? '');
    const models = command?.models ? await registeredModels() : [];
    const parsed = parseCommandLine(argv, models);
    if (parsed.version) {
      io.stdout.write(`${VERSION}\n`);
      return 0;
    }
    if (parsed.help || !parsed.command) {
      io.stdout.write(parsed.command ? commandHelp(parsed.command, parsed.command.models ? await registeredModels() : []) : generalHelp(VERSION));
      return 0;
    }
    const { run } = await parsed.command.load();
    const interrupt = interruptSignal(io, parsed.command.graceful?.(parsed) ?? false);
    release = interrupt.release;
    return await run({ request: parsed.request as never, cli: parsed.cli, positionals: parsed.positionals, io: { ...io, signal: interrupt.signal } });
  } catch (err) {
    if (isUsageError(err)) {
      io.stderr.write(`latentkit: error: ${errorLine(err)}\n`);
      if (verbose && err.stack) io.stderr.write(`${err.stack}\n`);
      return 2;
    }
    const e = err as Error;
    if (e?.name === 'FileSystemError') {
      io.stderr.write(`latentkit: error: ${e.message}\n`);
      return 1;
    }
    io.stderr.write(`latentkit: unexpected error: ${e?.message ?? String(err)}${verbose ? '' : ' (run with --verbose for details)'}\n`);
    if (verbose && e?.stack) io.stderr.write(`${e.stack}\n`);
    return 1;
  } finally {
    release();
  }
}
