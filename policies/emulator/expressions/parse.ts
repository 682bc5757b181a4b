/**
 * The C# front end (`policies/csharp/parse.ts`) seen from the emulator: the same parser, with
 * its diagnostics turned into the emulator's ExpressionError (CS_SYNTAX → EXPR_SYNTAX,
 * CS_UNSUPPORTED → EXPR_UNSUPPORTED, CS_VERSION / CS_TYPE → EXPR_REFUSED).
 */
import * as front from '../../csharp/parse.js';
import { CSharpError } from '../../csharp/diagnostics.js';
import type { Expr } from '../../csharp/ast.js';
import { walkExpr, walkStmt, type Node } from '../../csharp/walk.js';
import { checkParsed } from '../../csharp/check/index.js';
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
  const parsed = converted(() => front.parseExpression(code));
  refusePending(parsed);
  return parsed;
}

/**
 * What `emulate()` compiles: parsed, then type-checked as APIM does when the policy is saved (a
 * refusal is EXPR_REFUSED with the checker's reason, the same finding as lint rule APIM501), then
 * refused if the runtime does not run one of its constructs yet (EXPR_UNSUPPORTED).
 */
export function parseCheckedExpression(code: string): front.ParsedExpression {
  const parsed = converted(() => front.parseExpression(code));
  converted(() => checkParsed(parsed));
  refusePending(parsed);
  return parsed;
}

export function parseBareExpression(code: string, offset = 0): Expr {
  return converted(() => front.parseBareExpression(code, offset));
}

/**
 * C# 7.3 constructs the front end parses and the runtime does not run yet: compiling one is
 * EXPR_UNSUPPORTED naming it, rather than a statement silently skipped. The runtime (evaluate.ts)
 * removes an entry when it implements the construct.
 */
export const RUNTIME_PENDING: ReadonlySet<string> = new Set<string>([]);

const PENDING_NAMES: Record<string, string> = {
  'stmt:switch': "'switch' statement",
  'stmt:localFunc': 'local function',
  'stmt:using': "'using' statement",
  'stmt:do': "'do' statement",
  'expr:declVar': "'out var' declaration",
  'expr:throw': 'throw expression',
  'expr:default': "'default' expression",
  'expr:memberInit': 'object initializer',
  'expr:indexInit': 'index initializer',
  'arg:out': "'out' argument",
  'arg:ref': "'ref' argument",
  'arg:in': "'in' argument",
  'pattern:var': "'is var' pattern",
};

/** Throws EXPR_UNSUPPORTED for the first construct of RUNTIME_PENDING in the parsed code. */
export function refusePending(parsed: front.ParsedExpression): void {
  if (RUNTIME_PENDING.size === 0) return;
  const hit = (key: string, pos: number): void => {
    if (RUNTIME_PENDING.has(key)) throw new ExpressionError('EXPR_UNSUPPORTED', `unsupported C# construct: ${PENDING_NAMES[key] ?? key}`, pos);
  };
  const visit = (n: Node): void => {
    if ('stmt' in n) return hit(`stmt:${n.stmt.k}`, n.stmt.pos);
    const e = n.expr;
    hit(`expr:${e.k}`, e.pos);
    if (e.k === 'is' && e.type.name === 'var') hit('pattern:var', e.pos);
    if (e.k === 'call' || e.k === 'new') for (const a of e.args) if (a.mod) hit(`arg:${a.mod}`, a.value.pos);
  };
  if (parsed.block) for (const s of parsed.body) walkStmt(s, visit);
  else walkExpr(parsed.expr, visit);
}
