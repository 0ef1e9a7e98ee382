/** Row-major numeric data accepted by the metrics: one row after another. */
export type Floats = Float32Array | Float64Array;

/** Class labels: integers in [0, numClasses). */
export type Labels = ArrayLike<number>;

/**
 * Throw unless `array` holds exactly `rows` × `cols` values. The metrics take
 * explicit shapes, so a mismatch is a caller bug and silent truncation would
 * give plausible but wrong numbers.
 */
export function checkShape(fn: string, name: string, array: ArrayLike<number>, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 1) {
    throw new RangeError(`${fn}: invalid shape ${rows}×${cols} for ${name}`);
  }
  if (array.length !== rows * cols) {
    throw new RangeError(`${fn}: ${name} has ${array.length} values, expected ${rows}×${cols} = ${rows * cols}`);
  }
}

/** Throw unless `count` is a positive integer (e.g. a number of examples). */
export function checkPositiveInt(fn: string, name: string, count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`${fn}: ${name} must be a positive integer, got ${count}`);
}
