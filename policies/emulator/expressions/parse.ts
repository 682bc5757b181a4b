/**
 * The C# front end (`policies/csharp/parse.ts`) seen from the emulator: the same parser, with
 * its diagnostics turned into the emulator's ExpressionError (CS_SYNTAX → EXPR_SYNTAX,
 * CS_UNSUPPORTED → EXPR_UNSUPPORTED, CS_VERSION / CS_TYPE → EXPR_REFUSED).
 */
import * as front from '../../csharp/parse.js';
import { CSharpError } from '../../csharp/diagnostics.js';
import type { Expr } from '../../csharp/ast.js';
import { ExpressionError } from '../errors.js';

export { PREDEFINED_TYPES, type ParsedExpression } from '../../csharp/parse.js';

/** The emulator's error for a front-end diagnostic. */
export function toExpressionError(err: CSharpError): ExpressionError {
  const code = err.code === 'CS_SYNTAX' ? 'EXPR_SYNTAX' : err.code === 'CS_UNSUPPORTED' ? 'EXPR_UNSUPPORTED' : 'EXPR_REFUSED';
  return new ExpressionError(code, err.detail, err.pos);
}

function converted<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof CSharpError) throw toExpressionError(err);
    throw err;
  }
}

export function parseExpression(code: string): front.ParsedExpression {
  return converted(() => front.parseExpression(code));
}

export function parseBareExpression(code: string, offset = 0): Expr {
  return converted(() => front.parseBareExpression(code, offset));
}
