/**
 * Diagnostics of the C# front end: one error class with a closed union of stable codes, each
 * carrying the offset in the expression's code (line and column derived from it).
 *
 * - `CS_SYNTAX`: not valid C# (the C# compiler refuses it too).
 * - `CS_VERSION`: valid C# of a later language version than APIM compiles (C# 7.3): the message
 *   names the feature and its version ("switch expression is C# 8; APIM compiles C# 7").
 * - `CS_UNSUPPORTED`: valid C# 7.3 this front end does not model (`goto`, `unsafe`, …), refused
 *   rather than guessed at.
 * - `CS_TYPE`: the static checker refuses the expression (unknown name, a member outside APIM's
 *   allow-list, no matching overload, a type outside the allow-list, a type mismatch).
 */
export type CSharpErrorCode = 'CS_SYNTAX' | 'CS_VERSION' | 'CS_UNSUPPORTED' | 'CS_TYPE';

export class CSharpError extends Error {
  constructor(
    readonly code: CSharpErrorCode,
    /** The reason, without position. */
    readonly detail: string,
    /** Offset in the expression's code (the code includes the leading `@(` / `@{`). */
    readonly pos: number,
  ) {
    super(detail);
    this.name = 'CSharpError';
  }
}

/** One finding of the front end, with its position resolved. */
export interface CSharpDiagnostic {
  code: CSharpErrorCode;
  message: string;
  pos: number;
  line: number;
  column: number;
}

/** Line and column (1-based) of `pos` within `code`. */
export function lineCol(code: string, pos: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let i = 0; i < pos && i < code.length; i++) {
    if (code[i] === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  return { line, column };
}

export function toDiagnostic(err: CSharpError, code: string): CSharpDiagnostic {
  return { code: err.code, message: err.detail, pos: err.pos, ...lineCol(code, err.pos) };
}

/** "reason at expression line L, column C (near "…")" for messages. */
export function describeDiagnostic(d: { message: string; pos: number }, code: string): string {
  const { line, column } = lineCol(code, d.pos);
  const snippet = code.slice(d.pos, d.pos + 30).split('\n')[0];
  return `${d.message} at expression line ${line}, column ${column}${snippet ? ` (near "${snippet}")` : ''}`;
}
