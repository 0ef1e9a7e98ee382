/**
 * Validating a request against its schema: the first problem becomes one
 * FieldError naming the field, in words every frontend can show.
 */
import { z } from 'zod';
import { FieldError } from '../errors.js';

const show = (value: unknown): string => {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return typeof value;
};

const KIND_WORDS: Record<string, string> = { int: 'an integer', number: 'a number', string: 'text', boolean: 'true or false', array: 'a list', object: 'an object' };

function bound(issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean; origin?: string }, below: boolean): string {
  const limit = Number(below ? issue.minimum : issue.maximum);
  if (issue.origin === 'array' || issue.origin === 'set') return below ? `needs at least ${limit} item${limit === 1 ? '' : 's'}` : `takes at most ${limit} items`;
  if (issue.origin === 'string') return below ? (limit === 1 ? 'must not be empty' : `needs at least ${limit} characters`) : `takes at most ${limit} characters`;
  const sign = below ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
  return `must be ${sign} ${limit}`;
}

/** One schema issue as the rest of a sentence that starts with the field's name. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const got = 'input' in issue && issue.input !== undefined ? `, got ${show(issue.input)}` : '';
  switch (issue.code) {
    case 'too_small':
      return `${bound(issue as never, true)}${got}`;
    case 'too_big':
      return `${bound(issue as never, false)}${got}`;
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      const expected = (issue as { expected: string }).expected;
      const isNaN = typeof issue.input === 'number' && !Number.isFinite(issue.input);
      return `must be ${KIND_WORDS[expected] ?? expected}${isNaN ? ` (a finite number)` : ''}${got}`;
    }
    case 'invalid_value':
      return `must be one of ${(issue.values as unknown[]).map(String).join(', ')}${got}`;
    case 'invalid_union':
      return `is not valid${got}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}${got}`;
    case 'unrecognized_keys':
      return 'is not a known field';
    default:
      return issue.message;
  }
}

/** The field an issue is about: its path's keys joined with dots (an unknown key names itself). */
export function issueField(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return [...issue.path.filter((p) => typeof p === 'string'), issue.keys[0]].join('.');
  const keys = issue.path.filter((p) => typeof p === 'string');
  return keys.length === 0 ? 'request' : keys.join('.');
}

/** "item 2 " when the issue is about an element of a list (a comma list on the command line). */
function itemOf(issue: z.core.$ZodIssue): string {
  const index = issue.path.find((p) => typeof p === 'number');
  return index === undefined ? '' : `item ${Number(index) + 1} `;
}

/** The FieldError of a failed parse (its first issue). */
export function fieldErrorOf(error: z.ZodError): FieldError {
  const issue = error.issues[0]!;
  // A custom check that threw a FieldError itself keeps its own wording.
  const params = (issue as { params?: { field?: string; problem?: string } }).params;
  if (issue.code === 'custom' && params?.problem) return new FieldError(params.field ?? issueField(issue), params.problem);
  return new FieldError(issueField(issue), `${itemOf(issue)}${describeIssue(issue)}`);
}

/**
 * Parse `input` with `schema`: defaults filled in, types checked, ranges
 * enforced. Throws the FieldError of the first problem.
 */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) throw fieldErrorOf(result.error);
  return result.data;
}

/**
 * A refinement that runs a parser which throws FieldError (e.g. the noise
 * spec parser) and reports its problem as the schema's own.
 */
export function checkedBy<T>(parse: (value: T) => unknown) {
  return (value: T, ctx: z.RefinementCtx): void => {
    try {
      parse(value);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, params: { problem: err.problem }, input: value });
    }
  };
}
