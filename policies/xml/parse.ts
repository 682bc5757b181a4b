/**
 * Reads APIM policy XML — the raw form APIM exports and teams keep in git, or the well-formed
 * form — into the generic tree of ./tree.ts. Expressions are masked by ./scan.ts first, then
 * fast-xml-parser checks and reads the rest; positions come from the scanner (the masked text
 * keeps every offset), so every element carries its line and column.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decodeEntities } from './entities.js';
import { LineIndex, PolicyXmlError } from './errors.js';
import { MASK_BASE, MASK_FILL, ScanFailure, maskPolicyXml, type MaskedExpression } from './scan.js';
import type { XmlAttribute, XmlComment, XmlElement, XmlNode, XmlValue } from './tree.js';

/** A policy file: the root element plus the comments around it (kept by the formatter). */
export interface PolicyXmlDocument {
  root: XmlElement;
  /** Comments before the root element. */
  leading: XmlComment[];
  /** Comments after the root element. */
  trailing: XmlComment[];
}

/** Root element names a policy file may have. */
export const POLICY_ROOTS = ['policies', 'fragment'] as const;

/** Parses policy XML and returns its root element (`policies` or `fragment`). */
export function parsePolicyXml(text: string): XmlElement {
  return parsePolicyXmlDocument(text).root;
}

type FxpNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  commentPropName: '#comment',
  cdataPropName: '#cdata',
  textNodeName: '#text',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
});

const MASKED_SPAN = /[\ue000-\uf8fe][\uf8ff\r\n]*/g;
const ONE_EXPRESSION = /^\s*([\ue000-\uf8fe])[\uf8ff\r\n]*\s*$/;

/**
 * fast-xml-parser reports a document that ends with elements still open as
 * `Invalid '[ "policies", "inbound" ]' found.` at 1:1. Say instead which elements are unclosed
 * and where the innermost one opens (its last opening tag in the text: any later one was closed).
 */
function unclosedElements(msg: string, masked: string): { reason: string; offset: number } | undefined {
  const m = /^Invalid '(\[[\s\S]*\])' found\.?$/.exec(msg);
  if (m === null) return undefined;
  let names: unknown;
  try {
    names = JSON.parse(m[1] as string);
  } catch {
    return undefined;
  }
  if (!Array.isArray(names) || names.length === 0 || !names.every((n): n is string => typeof n === 'string')) return undefined;
  const innermost = names[names.length - 1] as string;
  const escaped = innermost.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let offset = 0;
  for (const open of masked.matchAll(new RegExp(`<${escaped}(?=[\\s/>])`, 'g'))) offset = open.index;
  const list = names.map((n) => `<${n}>`).join(' ');
  return { reason: `the document ends before <${innermost}> is closed (unclosed: ${list}); the position is where <${innermost}> opens`, offset };
}

/** Parses policy XML and returns the root with the comments around it. */
export function parsePolicyXmlDocument(text: string): PolicyXmlDocument {
  if (typeof text !== 'string') throw new TypeError('policy XML must be a string');
  const lines = new LineIndex(text);
  const fail = (code: PolicyXmlError['code'], reason: string, offset: number): PolicyXmlError => {
    const { line, column } = lines.position(offset);
    return new PolicyXmlError(code, reason, line, column);
  };

  let scanned;
  try {
    scanned = maskPolicyXml(text);
  } catch (err) {
    if (err instanceof ScanFailure) throw fail(err.code, err.reason, err.offset);
    throw err;
  }
  const { masked, expressions, elementStarts } = scanned;

  if (elementStarts.length === 0) throw fail('ERR_XML_ROOT', 'no root element: expected <policies> or <fragment>', 0);
  const valid = XMLValidator.validate(masked, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    const unclosed = unclosedElements(msg, masked);
    if (unclosed !== undefined) throw fail('ERR_XML_MALFORMED', unclosed.reason, unclosed.offset);
    throw new PolicyXmlError('ERR_XML_MALFORMED', restoreMessage(msg, expressions), line || 1, col || 1);
  }

  const top = parser.parse(masked) as FxpNode[];
  let elementIndex = 0;
  let cursor = 0;

  const value = (raw: string, trim: boolean): XmlValue => {
    const one = (trim ? ONE_EXPRESSION : /^([\ue000-\uf8fe])[\uf8ff\r\n]*$/).exec(raw);
    if (one !== null) {
      const e = expressions[(one[1] as string).charCodeAt(0) - MASK_BASE] as MaskedExpression;
      return { kind: 'expression', code: e.code, block: e.block };
    }
    if (!/[\ue000-\uf8fe]/.test(raw)) return decodeEntities(raw);
    // an expression amid other text: not a policy expression, keep it as text
    let out = '';
    let last = 0;
    for (const m of raw.matchAll(MASKED_SPAN)) {
      out += decodeEntities(raw.slice(last, m.index));
      const e = expressions[m[0].charCodeAt(0) - MASK_BASE] as MaskedExpression;
      out += e.code;
      last = m.index + m[0].length;
    }
    return out + decodeEntities(raw.slice(last));
  };

  const locate = (needle: string, from: number): number => masked.indexOf(needle, from);

  const convert = (node: FxpNode): XmlNode | undefined => {
    const key = Object.keys(node).find((k) => k !== ':@');
    if (key === undefined) return undefined;
    if (key === '#text') {
      const raw = String(node[key]);
      // text always follows the '>' of a tag, comment or CDATA section (never an attribute value)
      const gt = locate(`>${raw}`, cursor);
      const at = gt === -1 ? -1 : gt + 1;
      const n: XmlNode = { kind: 'text', value: value(raw, true) };
      if (at !== -1) {
        cursor = at + raw.length;
        const lead = raw.length - raw.trimStart().length;
        n.loc = lines.position(at + (lead === raw.length ? 0 : lead));
      }
      return n;
    }
    if (key === '#comment' || key === '#cdata') {
      const inner = ((node[key] as FxpNode[])[0]?.['#text'] as string | undefined) ?? '';
      const at = key === '#comment' ? locate(`<!--${inner}-->`, cursor) : locate(`<![CDATA[${inner}]]>`, cursor);
      const n: XmlNode =
        key === '#comment' ? { kind: 'comment', value: inner } : { kind: 'cdata', value: inner };
      if (at !== -1) {
        cursor = at + inner.length;
        n.loc = lines.position(at);
      }
      return n;
    }
    const start = elementStarts[elementIndex++];
    const attributes: XmlAttribute[] = Object.entries(node[':@'] ?? {}).map(([name, v]) => ({
      name,
      value: value(String(v), false),
    }));
    const el: XmlElement = { kind: 'element', name: key, attributes, children: [] };
    if (start !== undefined) {
      el.loc = lines.position(start);
      cursor = Math.max(cursor, start + 1);
    }
    for (const child of (node[key] as FxpNode[]) ?? []) {
      const c = convert(child);
      if (c !== undefined) el.children.push(c);
    }
    return el;
  };

  let root: XmlElement | undefined;
  const leading: XmlComment[] = [];
  const trailing: XmlComment[] = [];
  for (const node of top) {
    const n = convert(node);
    if (n === undefined) continue;
    if (n.kind === 'element') {
      if (root !== undefined) throw fail('ERR_XML_ROOT', 'more than one root element', elementStarts[0] ?? 0);
      root = n;
    } else if (n.kind === 'comment') {
      (root === undefined ? leading : trailing).push(n);
    } else if (n.kind === 'text' && typeof n.value === 'string' && n.value.trim() === '') {
      continue;
    } else {
      throw fail('ERR_XML_MALFORMED', 'text outside the root element', 0);
    }
  }
  if (root === undefined) throw fail('ERR_XML_ROOT', 'no root element: expected <policies> or <fragment>', 0);
  if (!(POLICY_ROOTS as readonly string[]).includes(root.name)) {
    const { line, column } = root.loc ?? { line: 1, column: 1 };
    throw new PolicyXmlError('ERR_XML_ROOT', `root element is <${root.name}>: expected <policies> or <fragment>`, line, column);
  }
  return { root, leading, trailing };
}

/** Validator messages may quote masked text; show the expression's first line instead. */
function restoreMessage(msg: string, expressions: MaskedExpression[]): string {
  return msg.replace(MASKED_SPAN, (m) => {
    const e = expressions[m.charCodeAt(0) - MASK_BASE];
    if (e === undefined) return m;
    const first = e.code.split('\n')[0] ?? '';
    return first.length > 40 ? `${first.slice(0, 40)}…` : first;
  }).replace(new RegExp(String.fromCharCode(MASK_FILL), 'g'), '');
}
