/**
 * Errors the user can fix (bad settings, missing or corrupt files, invalid
 * configurations). Frontends show `message` as one line: the CLI exits with
 * code 2, the service answers 4xx, the lab shows it beside the control.
 * Anything else is an unexpected failure.
 */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
  readonly exitCode = 2;
}

/**
 * A bad value of one request field. `field` is the request key (`batchSize`);
 * `problem` is the rest of the sentence and may name other fields as
 * `{{otherField}}`. Each frontend renders field names its own way (the CLI
 * as `--batch-size`, the service as `batchSize`); `message` uses the keys.
 */
export class FieldError extends UsageError {
  override readonly name = 'FieldError';

  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(renderFieldMessage(field, problem, (f) => f));
  }

  /** The message with every field name passed through `name`. */
  render(name: (field: string) => string): string {
    return renderFieldMessage(this.field, this.problem, name);
  }
}

function renderFieldMessage(field: string, problem: string, name: (field: string) => string): string {
  return `${name(field)} ${problem.replace(/\{\{(\w+)\}\}/g, (_, f: string) => name(f))}`;
}

/** Training stopped because a loss became NaN or infinite. */
export class DivergenceError extends UsageError {
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly term: string,
    /** The last epoch whose state was kept (0: the initial weights). */
    readonly keptEpoch?: number,
  ) {
    super(
      `loss term '${term}' became NaN or infinite at epoch ${epoch}, step ${step}; stopped` +
        (keptEpoch === undefined ? '' : keptEpoch === 0 ? ', the run keeps its initial weights' : `, the run keeps the state after epoch ${keptEpoch}`) +
        ' (try a lower learning rate)',
    );
  }
}

export function isUsageError(err: unknown): err is UsageError {
  return err instanceof UsageError;
}

/** camelCase request key → kebab-case flag name (`batchSize` → `batch-size`). */
export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** kebab-case flag name → camelCase request key. */
export function camelCase(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
