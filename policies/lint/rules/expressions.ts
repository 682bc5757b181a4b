/** APIM5xx: policy expressions and liquid templates. */
import { isLiquidBody, liquidSource, parseApimLiquid } from '../../liquid/apim-liquid.js';
import { isExpression, type XmlValue } from '../../xml/tree.js';
import { csharpLiterals, scanExpression } from '../../xml/scan.js';
import { checkExpression } from '../../csharp/check/index.js';
import { describeDiagnostic } from '../../csharp/diagnostics.js';
import type { Rule, Visit } from '../types.js';

function values(v: Visit): XmlValue[] {
  return [...v.el.attributes.map((a) => a.value), ...v.el.children.flatMap((c) => (c.kind === 'text' ? [c.value] : []))];
}

/**
 * Why APIM would refuse this expression code when the policy is saved, or undefined: brackets
 * that do not balance, two literals in a row, then the C# front end's verdict (syntax of C# 7.3,
 * C# 8+ features named with their version, and the static check against APIM's allow-list of
 * .NET Framework types and members), with the line and column inside the expression.
 */
export function compileProblem(code: string): string | undefined {
  try {
    if (scanExpression(code, 0) !== code.length) return 'text after the closing bracket';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const strings = csharpLiterals(code).filter((l) => l.kind === 'string' || l.kind === 'char');
  for (let i = 1; i < strings.length; i++) {
    const gap = code.slice((strings[i - 1] as { end: number }).end, (strings[i] as { start: number }).start);
    if (gap.trim() === '') {
      const a = strings[i - 1] as { start: number; end: number };
      return `two string literals in a row (${code.slice(a.start, (strings[i] as { end: number }).end).split('\n')[0]})`;
    }
  }
  const d = checkExpression(code);
  return d === undefined ? undefined : describeDiagnostic(d, code);
}

export const expressionRules: Rule[] = [
  {
    id: 'APIM501',
    severity: 'error',
    summary: 'a policy expression APIM would refuse when the policy is saved: not C# 7.3 (C# 8+ syntax is named with its version), or a type, member or overload outside APIM\'s allow-list of .NET Framework types',
    check(ctx) {
      for (const v of ctx.visits) {
        for (const value of values(v)) {
          if (!isExpression(value)) continue;
          const problem = compileProblem(value.code);
          if (problem !== undefined) ctx.report(v, `APIM would refuse this expression when the policy is saved: ${problem}`);
        }
      }
    },
  },
  {
    id: 'APIM502',
    severity: 'warning',
    summary: 'an `@(...)` inside other text: APIM only evaluates a value that is one whole expression',
    check(ctx) {
      for (const v of ctx.visits) {
        for (const value of values(v)) {
          if (typeof value === 'string' && /@[({]/.test(value) && !/^\s*@[({]/.test(value)) {
            ctx.report(v, 'this value mixes text and @(...): APIM sends it literally; make the whole value one expression (string concatenation inside)');
          }
        }
      }
    },
  },
  {
    id: 'APIM503',
    severity: 'error',
    summary: 'a liquid template APIM would not render (syntax, or a filter APIM does not name: filters are PascalCase, e.g. `Upcase`)',
    check(ctx) {
      for (const v of ctx.visits) {
        if (!isLiquidBody(v.el)) continue;
        // a named value reference ({{name}}) is replaced before liquid sees the template
        const source = liquidSource(v.el).replace(/\{\{[A-Za-z0-9._-]+\}\}/g, 'x');
        try {
          parseApimLiquid(source);
        } catch (err) {
          ctx.report(v, `liquid template does not parse: ${(err as Error).message}`);
        }
      }
    },
  },
];
