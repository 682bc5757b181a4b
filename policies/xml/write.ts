/**
 * Writes the generic policy tree back to XML: deterministic, source attribute order, one
 * canonical indentation. fast-xml-parser's XMLBuilder lays out the element structure; every
 * value (attribute, text run, comment) goes through it as a one-character token and is put back
 * afterwards, so the builder's own escaping and re-indentation never touch expression text.
 *
 * - `form: 'xml'` (default): well-formed XML — expressions entity-escaped, as publishing with
 *   `format: xml` sends (tabs and line breaks in attribute values as character references, so
 *   multi-line `@{...}` blocks survive attribute-value normalisation).
 * - `form: 'raw'`: APIM's raw form — expressions verbatim, as APIM exports them.
 *
 * An element with text, an expression or CDATA among its children is written inline, its
 * whitespace kept; other elements get one child per line and lose whitespace-only text.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { escapeAttribute, escapeText } from './entities.js';
import { isWholeExpression } from './scan.js';
import type { XmlComment, XmlElement, XmlNode, XmlValue } from './tree.js';
import type { PolicyXmlDocument } from './parse.js';

export interface WritePolicyXmlOptions {
  /** `xml` (default): well-formed, expressions escaped. `raw`: expressions verbatim (APIM's export form). */
  form?: 'xml' | 'raw';
  /** One level of indentation; default four spaces. */
  indent?: string;
}

const TOKEN_BASE = 0xe000;
const TOKEN_LIMIT = 0xf8ff;
const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** Writes a policy root element (or a document with the comments around its root) as XML text. */
export function writePolicyXml(root: XmlElement | PolicyXmlDocument, options: WritePolicyXmlOptions = {}): string {
  const form = options.form ?? 'xml';
  if (form !== 'xml' && form !== 'raw') throw new TypeError(`invalid form option: ${String(form)}`);
  const indent = options.indent ?? '    ';
  if (!/^[ \t]*$/.test(indent)) throw new TypeError('indent must be spaces or tabs');
  const doc: PolicyXmlDocument = 'root' in root ? root : { root, leading: [], trailing: [] };

  const tokens: string[] = [];
  const token = (text: string): string => {
    if (TOKEN_BASE + tokens.length >= TOKEN_LIMIT) throw new RangeError('policy too large to write');
    tokens.push(text);
    return String.fromCharCode(TOKEN_BASE + tokens.length - 1);
  };

  // Only what reads back the same is written: in the raw form an expression is emitted verbatim,
  // so one that does not scan as a single expression could end its attribute early.
  const attributeText = (v: XmlValue): string => {
    if (typeof v === 'string') {
      if (/^@[({]/.test(v)) throw new TypeError(`a plain attribute value cannot start with @( or @{ (APIM reads it as an expression): ${v.slice(0, 40)}`);
      return escapeAttribute(v);
    }
    if (!isWholeExpression(v.code, false) && !isWholeExpression(v.code, false, true)) {
      throw new TypeError(`not one policy expression @(...) or @{...}: ${v.code.slice(0, 40)}`);
    }
    return form === 'raw' ? v.code : escapeAttribute(v.code);
  };
  const textValue = (v: XmlValue): string => {
    if (typeof v === 'string') return escapeText(v);
    if (!isWholeExpression(v.code, false)) throw new TypeError(`not one policy expression @(...) or @{...}: ${v.code.slice(0, 40)}`);
    return form === 'raw' ? v.code : escapeText(v.code);
  };
  const commentText = (c: XmlComment): string => {
    if (c.value.includes('--') || c.value.endsWith('-')) throw new TypeError("a comment must not contain '--' or end with '-'");
    return c.value;
  };

  const checkName = (name: string): void => {
    if (!NAME.test(name)) throw new TypeError(`invalid XML name: ${JSON.stringify(name)}`);
  };

  const startTag = (el: XmlElement): string => {
    checkName(el.name);
    let s = `<${el.name}`;
    for (const a of el.attributes) {
      checkName(a.name);
      s += ` ${a.name}="${attributeText(a.value)}"`;
    }
    return s;
  };

  /** Inline rendering, for mixed content: nothing added, nothing removed. */
  const inline = (n: XmlNode): string => {
    switch (n.kind) {
      case 'text':
        return textValue(n.value);
      case 'cdata':
        if (n.value.includes(']]>')) throw new TypeError("CDATA must not contain ']]>'");
        return `<![CDATA[${n.value}]]>`;
      case 'comment':
        return `<!--${commentText(n)}-->`;
      case 'element':
        return n.children.length === 0
          ? `${startTag(n)} />`
          : `${startTag(n)}>${n.children.map(inline).join('')}</${n.name}>`;
    }
  };

  const isMixed = (el: XmlElement): boolean =>
    el.children.some(
      (c) => c.kind === 'cdata' || (c.kind === 'text' && (typeof c.value !== 'string' || c.value.trim() !== '')),
    );

  type Ordered = Record<string, unknown>;
  const toOrdered = (el: XmlElement): Ordered => {
    checkName(el.name);
    const attrs: Record<string, string> = {};
    for (const a of el.attributes) {
      checkName(a.name);
      if (Object.prototype.hasOwnProperty.call(attrs, a.name)) throw new TypeError(`duplicate attribute ${a.name} on <${el.name}>`);
      attrs[a.name] = token(attributeText(a.value));
    }
    let children: Ordered[];
    if (isMixed(el)) {
      children = [{ '#text': token(el.children.map(inline).join('')) }];
    } else {
      children = [];
      for (const c of el.children) {
        if (c.kind === 'element') children.push(toOrdered(c));
        else if (c.kind === 'comment') children.push({ '#comment': [{ '#text': token(commentText(c)) }] });
      }
    }
    const node: Ordered = { [el.name]: children };
    if (el.attributes.length > 0) node[':@'] = attrs;
    return node;
  };

  const top: Ordered[] = [
    ...doc.leading.map((c) => ({ '#comment': [{ '#text': token(commentText(c)) }] })),
    toOrdered(doc.root),
    ...doc.trailing.map((c) => ({ '#comment': [{ '#text': token(commentText(c)) }] })),
  ];
  const builder = new XMLBuilder({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    commentPropName: '#comment',
    textNodeName: '#text',
    format: true,
    indentBy: indent,
    suppressEmptyNode: true,
    processEntities: false,
  });
  const built = (builder.build(top) as string).replace(/^\n/, '');
  // the only "/>" left are the builder's empty elements: canonical form is "<name />"
  const spaced = built.replace(/\/>/g, ' />');
  const out = spaced.replace(/[\ue000-\uf8fe]/g, (t) => tokens[t.charCodeAt(0) - TOKEN_BASE] ?? t);
  return out.endsWith('\n') ? out : `${out}\n`;
}
