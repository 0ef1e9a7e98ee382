/**
 * Errors the user can fix (bad flags, missing or corrupt files, invalid
 * configurations). The CLI prints `message` as one line and exits with code 2.
 * Anything else is an unexpected failure (exit code 1).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

/** Training stopped because a loss became NaN or infinite. */
export class DivergenceError extends UsageError {
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly term: string,
  ) {
    super(`loss term '${term}' became NaN or infinite at epoch ${epoch}, step ${step}; stopped and kept the last good checkpoint (try a lower --lr)`);
  }
}

export function isUsageError(err: unknown): err is UsageError {
  return err instanceof UsageError;
}
