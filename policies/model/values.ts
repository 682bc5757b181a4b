/**
 * Values that policy attributes and texts hold in the typed model.
 *
 * - A policy expression is the same plain object the XML tree uses ({@link XmlExpression}:
 *   `{ kind: 'expression', code, block }`), so a model read back from XML deep-equals the one
 *   that was built. Typed expressions (`policies/expressions`) add only a compile-time brand.
 * - A named value reference is the string `{{name}}` itself, typed as a template literal
 *   (`NamedValueRef<'entra-issuer'>`), so it survives XML unchanged and is found again by
 *   {@link listNamedValues}.
 */
import type { XmlExpression } from '../xml/tree.js';

/** One policy expression, exactly as written: `@(...)` or `@{...}`. */
export type PolicyExpression = XmlExpression;

/** `{{name}}`: a reference to an APIM named value. */
export type NamedValueRef<N extends string = string> = `{{${N}}}`;

/** A string attribute or text: a literal (may embed `{{named values}}`) or one whole expression. */
export type Text = string | PolicyExpression;
/** A CDATA section as an element's content (for example a `set-body` holding XML). */
export interface CData {
  kind: 'cdata';
  value: string;
}

/** Content kept as a CDATA section: `cdata('<a>&</a>')` → `<![CDATA[<a>&</a>]]>`. */
export function cdata(value: string): CData {
  if (typeof value !== 'string' || value.includes(']]>')) throw new TypeError('CDATA content is a string without "]]>"');
  return { kind: 'cdata', value };
}

export function isCData(v: unknown): v is CData {
  return typeof v === 'object' && v !== null && (v as CData).kind === 'cdata' && typeof (v as CData).value === 'string';
}

/** A boolean attribute: a literal, a named value or an expression. */
export type BoolValue = boolean | NamedValueRef | PolicyExpression;
/** An integer attribute: a literal, a named value or an expression. */
export type IntValue = number | NamedValueRef | PolicyExpression;
/** An enumerated attribute: one of the documented literals, a named value or an expression. */
export type EnumValue<E extends string> = E | NamedValueRef | PolicyExpression;

const NAMED_VALUE_NAME = /^[A-Za-z0-9._-]{1,256}$/;
const NAMED_VALUE_REF = /\{\{([A-Za-z0-9._-]{1,256})\}\}/g;

/** A typed `{{name}}` reference. Names are letters, digits, `.`, `_` and `-` (as APIM allows). */
export function namedValue<N extends string>(name: N): NamedValueRef<N> {
  if (typeof name !== 'string' || !NAMED_VALUE_NAME.test(name)) {
    throw new RangeError(`Invalid named value name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-'`);
  }
  return `{{${name}}}` as NamedValueRef<N>;
}

/** true when the string is exactly one `{{name}}` reference. */
export function isNamedValueRef(v: unknown): v is NamedValueRef {
  return typeof v === 'string' && /^\{\{[A-Za-z0-9._-]{1,256}\}\}$/.test(v);
}

/** A policy expression value from its full code (`@(...)` or `@{...}`). */
export function expression(code: string): PolicyExpression {
  if (typeof code !== 'string' || !/^@[({][\s\S]*[)}]$/.test(code)) {
    throw new TypeError('A policy expression must start with @( or @{ and end with the matching bracket');
  }
  if ((code[1] === '(') !== code.endsWith(')')) {
    throw new TypeError('A policy expression must end with the bracket that matches its opening');
  }
  return { kind: 'expression', code, block: code[1] === '{' };
}

export function isPolicyExpression(v: unknown): v is PolicyExpression {
  return typeof v === 'object' && v !== null && (v as PolicyExpression).kind === 'expression' && typeof (v as PolicyExpression).code === 'string';
}

/** Every `{{name}}` referenced in a string or expression code, in order of first appearance. */
export function namedValuesIn(text: string, into: Set<string> = new Set()): Set<string> {
  for (const m of text.matchAll(NAMED_VALUE_REF)) into.add(m[1] as string);
  return into;
}

/** Every `{{name}}` referenced anywhere in a value tree (model objects, XML trees, arrays). */
export function listNamedValues(value: unknown): string[] {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') namedValuesIn(v, found);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(visit);
  };
  visit(value);
  return [...found];
}
