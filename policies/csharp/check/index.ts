/**
 * The static checker's entry: parse and type-check one policy expression the way APIM does when
 * the policy is saved. Returns the first finding (syntax, C# version, types), or undefined.
 */
import { CSharpError, toDiagnostic, type CSharpDiagnostic } from '../diagnostics.js';
import { parseExpression, type ParsedExpression } from '../parse.js';
import { Checker, NAMED_VALUE_PREFIX } from './check.js';

export { Checker } from './check.js';

/** Type-checks a parsed expression in place (nodes get `member` and `ctype`); throws CSharpError. */
export function checkParsed(parsed: ParsedExpression): void {
  Checker.forPolicy().checkParsed(parsed);
}

const NAMED_VALUE = /\{\{[A-Za-z0-9._-]+\}\}/g;

/**
 * Named values (`{{name}}`) are replaced by their text before APIM compiles the expression; here
 * their text is unknown, so each becomes an identifier of the same length whose type is
 * unchecked (offsets, lines and columns stay those of the source).
 */
export function maskNamedValues(code: string): string {
  return code.replace(NAMED_VALUE, (m) => NAMED_VALUE_PREFIX + '_'.repeat(m.length - NAMED_VALUE_PREFIX.length));
}

/** Why APIM would refuse this expression code (`@(…)` / `@{…}`) when the policy is saved, or undefined. */
export function checkExpression(code: string): CSharpDiagnostic | undefined {
  try {
    checkParsed(parseExpression(maskNamedValues(code)));
    return undefined;
  } catch (err) {
    if (err instanceof CSharpError) return toDiagnostic(err, code);
    throw err;
  }
}
