/**
 * The static checker's entry: parse and type-check one policy expression the way APIM does when
 * the policy is saved. Returns the first finding (syntax, C# version, types), or undefined.
 */
import { CSharpError, toDiagnostic, type CSharpDiagnostic } from '../diagnostics.js';
import { parseExpression, type ParsedExpression } from '../parse.js';
import { Checker } from './check.js';

export { Checker } from './check.js';

/** Type-checks a parsed expression in place (nodes get `member` and `ctype`); throws CSharpError. */
export function checkParsed(parsed: ParsedExpression): void {
  Checker.forPolicy().checkParsed(parsed);
}

/** Why APIM would refuse this expression code (`@(…)` / `@{…}`) when the policy is saved, or undefined. */
export function checkExpression(code: string): CSharpDiagnostic | undefined {
  try {
    checkParsed(parseExpression(code));
    return undefined;
  } catch (err) {
    if (err instanceof CSharpError) return toDiagnostic(err, code);
    throw err;
  }
}
