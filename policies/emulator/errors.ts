/**
 * The emulator's errors, one class with a closed union of stable codes.
 *
 * - `EXPR_SYNTAX`: an expression that is not valid C# (as far as the subset goes).
 * - `EXPR_UNSUPPORTED`: valid C# the interpreter does not implement (names the construct).
 * - `EXPR_REFUSED`: C# that APIM refuses when the policy is saved although it parses: a C# 8+
 *   feature (APIM compiles C# 7), or a member, overload or type outside APIM's allow-list (the
 *   static checker of `policies/csharp/check/`, the same finding as lint rule APIM501).
 * - `EXPR_RUNTIME`: the expression failed while running (a C# exception in APIM); inside a
 *   policy this becomes `context.LastError` with reason `ExpressionValueEvaluationFailure`.
 * - `UNSUPPORTED_ELEMENT`: a policy element the emulator does not run.
 * - `INVALID_POLICY`: a policy element with missing or bad attributes.
 * - `INVALID_REQUEST`: the request given to `send()` is malformed.
 */
export type EmulatorErrorCode =
  | 'EXPR_SYNTAX'
  | 'EXPR_UNSUPPORTED'
  | 'EXPR_REFUSED'
  | 'EXPR_RUNTIME'
  | 'UNSUPPORTED_ELEMENT'
  | 'INVALID_POLICY'
  | 'INVALID_REQUEST';

export class EmulatorError extends Error {
  constructor(
    readonly code: EmulatorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EmulatorError';
  }
}

/** An error inside one expression; `pos` is the offset in the expression's code. */
export class ExpressionError extends EmulatorError {
  constructor(
    code: 'EXPR_SYNTAX' | 'EXPR_UNSUPPORTED' | 'EXPR_REFUSED' | 'EXPR_RUNTIME',
    readonly detail: string,
    readonly pos: number,
  ) {
    super(code, detail);
    this.name = 'ExpressionError';
  }
}

/** Line and column (1-based) of `pos` within `code`: the C# front end's. */
export { lineCol } from '../csharp/diagnostics.js';
