/**
 * The one budget every expression run spends: statements, loop iterations, lambda calls, LINQ
 * elements and the strings and arrays it builds (by size). A run that goes over it, or builds one
 * string or array larger than the caps, stops with an error a policy's own `catch` never sees
 * (on-error does: the element fails with it). So no expression can hold the process in time or
 * in memory, whatever it nests: every unit of work it can do is charged before or as it is done.
 *
 * APIM documents no such numbers (its expressions run inside the gateway under its own limits);
 * these are the emulator's, chosen to be far above what a policy expression needs.
 */
import { CsException } from './values.js';

/** Steps one run may take. */
export const MAX_STEPS = 1_000_000;
/** The longest string an expression may build (characters). */
export const MAX_STRING_LENGTH = 4 * 1024 * 1024;
/** The longest array or list an expression may build (elements). */
export const MAX_ARRAY_LENGTH = 1024 * 1024;
/** Characters copied per step charged: a run can copy at most MAX_STEPS × this many in all. */
const CHARS_PER_STEP = 16;

/** An emulator limit: not a C# exception a policy may catch. */
export abstract class LimitExceeded extends CsException {}

/** The run took more than MAX_STEPS steps. */
export class StepLimitExceeded extends LimitExceeded {
  constructor() {
    super('InvalidOperationException', `The expression ran too long (step limit of ${MAX_STEPS}).`);
  }
}

/** One string or array would have been larger than its cap. */
export class SizeLimitExceeded extends LimitExceeded {
  constructor(what: 'string' | 'array', size: number) {
    super(
      'OutOfMemoryException',
      what === 'string'
        ? `The expression would build a string of ${size} characters (size limit of ${MAX_STRING_LENGTH}).`
        : `The expression would build an array of ${size} elements (size limit of ${MAX_ARRAY_LENGTH}).`,
    );
  }
}

// Runs are synchronous (an expression never awaits), so one counter serves the run under way;
// `run` saves and restores it, so a run inside a run (none today) would still be charged apart.
let spent = 0;

/** Runs `fn(a, b)` with a fresh budget (a compiled expression and its arguments: no closure made per run). */
export function withBudget<A, B, T>(fn: (a: A, b: B) => T, a: A, b: B): T {
  const saved = spent;
  spent = 0;
  try {
    return fn(a, b);
  } finally {
    spent = saved;
  }
}

/** Charges `n` steps. */
export function charge(n: number): void {
  if ((spent += n) > MAX_STEPS) throw new StepLimitExceeded();
}

/** Charges one step (the hot path: a statement, a loop iteration, a lambda call). */
export function step(): void {
  if (++spent > MAX_STEPS) throw new StepLimitExceeded();
}

/** Before a string of `length` characters is built: checks the cap and charges its copying. */
export function chargeString(length: number): void {
  if (!(length <= MAX_STRING_LENGTH)) throw new SizeLimitExceeded('string', length);
  if (length >= CHARS_PER_STEP) charge(Math.floor(length / CHARS_PER_STEP));
}

/** Before an array of `length` elements is built (or walked): checks the cap and charges one step per element. */
export function chargeArray(length: number): void {
  if (!(length <= MAX_ARRAY_LENGTH)) throw new SizeLimitExceeded('array', length);
  charge(length);
}

/** Charges a string already built (by a library call whose size could not be known before). */
export function built(s: string): string {
  chargeString(s.length);
  return s;
}
