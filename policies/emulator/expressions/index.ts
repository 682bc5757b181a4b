/** Compile once, run per request: a policy expression as a function of the host. */
import type { XmlExpression } from '../../xml/tree.js';
import { ExpressionError, lineCol } from '../errors.js';
import type { EvalHost } from './host.js';
import { parseCheckedExpression } from './parse.js';
import { compileBlock, compileExpr, resolveStaticTypes } from './runtime.js';

export type { EvalHost } from './host.js';
export { str as csString, equals as csEquals, csFormat } from './core.js';
export { parseExpression, parseBareExpression } from './parse.js';
export { expressionChangesInPlace } from './purity.js';

export interface CompiledExpression {
  code: string;
  run(host: EvalHost): unknown;
}

/**
 * Parses and type-checks an expression once. Syntax (EXPR_SYNTAX), what APIM refuses when the
 * policy is saved (EXPR_REFUSED: C# 8+ syntax, members, overloads or types outside APIM's
 * allow-list) and constructs the runtime does not run (EXPR_UNSUPPORTED) throw now
 * (ExpressionError with the position in `code`); runtime failures throw from `run`.
 */
export function compileExpression(expression: XmlExpression | string): CompiledExpression {
  const code = typeof expression === 'string' ? expression : expression.code;
  const parsed = parseCheckedExpression(code);
  if (parsed.block) {
    return { code, run: compileBlock(resolveStaticTypes(parsed.body)) };
  }
  const expr = resolveStaticTypes(parsed.expr);
  return { code, run: compileExpr(expr) };
}

/** "… at line L, column C of the expression" for messages. */
export function describeExpressionError(err: ExpressionError, code: string): string {
  const { line, column } = lineCol(code, err.pos);
  const snippet = code.slice(err.pos, err.pos + 30).split('\n')[0];
  return `${err.detail} at expression line ${line}, column ${column}${snippet ? ` (near "${snippet}")` : ''}`;
}
