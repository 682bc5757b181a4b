/**
 * The generic policy XML tree: what the parser produces from APIM policy XML (raw or
 * well-formed) and what the writer turns back into XML. The typed model (policies/model)
 * maps to and from this tree; the linter and the emulator work on it directly, so they also
 * serve hand-written and exported policies with elements the typed model does not know.
 *
 * Values keep APIM's distinctions:
 * - an attribute or text that is one whole policy expression (`@(...)` or `@{...}`) is an
 *   {@link XmlExpression}, its `code` byte for byte as written (including `@(` ... `)`),
 *   with XML entities of the well-formed form already decoded;
 * - everything else is a plain string (which may hold `{{named value}}` references and
 *   liquid templates as text).
 */

/** Where a node starts in the source text (1-based), when it came from parsing. */
export interface SourceLocation {
  line: number;
  column: number;
}

/** One policy expression, exactly as written: `@(...)` or `@{...}`. */
export interface XmlExpression {
  kind: 'expression';
  /** Full text including the leading `@(` / `@{` and the closing bracket. */
  code: string;
  /** true for the multi-statement `@{ ... }` form. */
  block: boolean;
}

/** An attribute value or a text value. */
export type XmlValue = string | XmlExpression;

export interface XmlAttribute {
  name: string;
  value: XmlValue;
}

export interface XmlElement {
  kind: 'element';
  name: string;
  /** In source order; emitted in this order. */
  attributes: XmlAttribute[];
  children: XmlNode[];
  loc?: SourceLocation;
}

export interface XmlText {
  kind: 'text';
  value: XmlValue;
  loc?: SourceLocation;
}

export interface XmlCData {
  kind: 'cdata';
  value: string;
  loc?: SourceLocation;
}

export interface XmlComment {
  kind: 'comment';
  value: string;
  loc?: SourceLocation;
}

export type XmlNode = XmlElement | XmlText | XmlCData | XmlComment;

/** Small constructors, shared by the parser, the model codecs and tests. */
export function element(name: string, attributes: XmlAttribute[] = [], children: XmlNode[] = []): XmlElement {
  return { kind: 'element', name, attributes, children };
}

export function isExpression(v: unknown): v is XmlExpression {
  return typeof v === 'object' && v !== null && (v as XmlExpression).kind === 'expression';
}

export function attr(el: XmlElement, name: string): XmlValue | undefined {
  return el.attributes.find((a) => a.name === name)?.value;
}

export function childElements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === 'element' && (name === undefined || c.name === name));
}
