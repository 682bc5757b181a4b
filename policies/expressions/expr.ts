/**
 * Typed policy expressions: values that emit APIM C# policy expressions.
 *
 * An `Expr<T>` is the plain `{ kind: 'expression', code, block }` object the XML tree uses,
 * with a compile-time brand `T` (the C# value type: string, boolean, number). Composition
 * works on the C# text inside `@( ... )`; literals are escaped as C# literals here, and XML
 * escaping is the writer's job (policies/xml), so the two never mix.
 */
import type { PolicyExpression } from '../model/values.js';

declare const valueType: unique symbol;

/** A policy expression whose C# value has type `T`. */
export interface Expr<T> extends PolicyExpression {
  /** Compile-time only: never present at run time. */
  readonly [valueType]?: T;
}

/** A value usable where an expression of type T is expected: an expression or a literal. */
export type Operand<T> = Expr<T> | T;

/** C# source of a string literal: `"..."` with `\`, `"` and control characters escaped. */
export function csharpString(value: string): string {
  if (typeof value !== 'string') throw new TypeError('csharpString needs a string');
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\0') out += '\\0';
    else if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029 || c === 0x85) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** The C# text of an expression (what is inside `@( ... )`). Block expressions cannot be composed. */
export function csharpOf(e: PolicyExpression): string {
  if (e.block) throw new TypeError('A multi-statement @{...} expression cannot be used inside another expression');
  return e.code.slice(2, -1);
}

/** C# source of an operand: expressions by their text, literals as C# literals. */
export function operand(v: string | number | boolean | PolicyExpression): string {
  if (typeof v === 'string') return csharpString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError('Only finite numbers can be C# literals');
    return Number.isInteger(v) ? String(v) : `${v}d`;
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return `(${csharpOf(v)})`;
}

/** A typed expression from C# text: `csharp<string>('context.Request.Method')` → `@(context.Request.Method)`. */
export function csharp<T>(code: string): Expr<T> {
  if (typeof code !== 'string' || code.trim() === '') throw new TypeError('csharp() needs C# text');
  return { kind: 'expression', code: `@(${code})`, block: false } as Expr<T>;
}

/** A multi-statement expression: `@{ statements }` (the statements must `return`). */
export function csharpBlock<T>(statements: string): Expr<T> {
  if (typeof statements !== 'string' || !/\breturn\b/.test(statements)) throw new TypeError('csharpBlock() needs statements that return a value');
  return { kind: 'expression', code: `@{${statements}}`, block: true } as Expr<T>;
}
