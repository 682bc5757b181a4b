/**
 * The machinery behind every element codec (internal: element modules use it, users do not).
 *
 * Each element module declares an {@link ElementSpec}: its XML name, its attributes (model key,
 * XML name, value type) and its child elements in the documented order. From that one table:
 * - `normalizeModel` checks a builder's options at run time (TypeError naming the field) and
 *   returns the canonical model object (no `undefined` keys, no empty repeated lists);
 * - `encodeStruct` writes the model object as an {@link XmlElement};
 * - `decodeStruct` reads an element back, or returns `null` when the element holds anything
 *   the spec does not describe (unknown attribute, unexpected child, a comment, a value outside
 *   the documented set). The caller then keeps the element as a generic node: never dropped.
 */
import type { XmlAttribute, XmlElement, XmlNode, XmlValue } from '../xml/tree.js';
import { isCData, isPolicyExpression, isNamedValueRef } from './values.js';
import { significantChildren } from './equal.js';

export type AttrType = 'text' | 'bool' | 'int' | { enum: readonly string[] };

export interface AttrSpec {
  /** Model key (camelCase). */
  key: string;
  /** XML attribute name. */
  xml: string;
  type: AttrType;
}

export type ChildSpec =
  /** Repeated `<xml>text</xml>` directly under the element → `Text[]` (absent when none). */
  | { kind: 'texts'; key: string; xml: string }
  /** One `<xml>text</xml>` → `Text`. */
  | { kind: 'text'; key: string; xml: string }
  /** `<xml><item>text</item>...</xml>` → `Text[]` (present, possibly empty, when the wrapper is). */
  | { kind: 'wrapped-texts'; key: string; xml: string; item: string }
  /** A nested structure (attributes and children of its own); `many` repeats it, `wrapper` wraps the list. */
  | { kind: 'struct'; key: string; xml: string; spec: StructSpec; many?: boolean; wrapper?: string }
  /** A full policy element (with `kind`), e.g. `set-status` inside `return-response`. */
  | { kind: 'element'; key: string; xml: string; many?: boolean }
  /** A list of policy elements: all children (no `xml`) or the children of one `<xml>` wrapper. */
  | { kind: 'policies'; key: string; xml?: string }
  /** The element's own text content → `Text` (absent when empty). */
  | { kind: 'content'; key: string };

export interface StructSpec {
  attrs: readonly AttrSpec[];
  children: readonly ChildSpec[];
  /** A rule across fields (for example "exactly one token source"); returns a reason or undefined. */
  check?: (model: Record<string, unknown>) => string | undefined;
  /**
   * Comments written right before this structure (model key `comments`, a list of comment
   * texts): lets a repeated structure such as `<when>` keep the comments that introduce it.
   */
  leadingComments?: boolean;
}

export interface ElementSpec extends StructSpec {
  /** The XML element name; also the model's `kind`. */
  name: string;
}

/** Callbacks into the document codec, for policy lists nested inside elements (choose, retry...). */
export interface CodecContext {
  decodeNodes(nodes: XmlNode[]): unknown[];
  encodeNodes(items: readonly unknown[]): XmlNode[];
  /** Decodes one element; returns the typed model or a generic node. */
  decodeElement(el: XmlElement): unknown;
}

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// values

function isText(v: unknown): boolean {
  return typeof v === 'string' || isPolicyExpression(v);
}

function checkAttrValue(type: AttrType, v: unknown): string | undefined {
  if (isPolicyExpression(v) || isNamedValueRef(v)) return undefined;
  if (type === 'text') return typeof v === 'string' ? undefined : 'must be a string or a policy expression';
  if (type === 'bool') return typeof v === 'boolean' ? undefined : 'must be a boolean, a named value or a policy expression';
  if (type === 'int') return typeof v === 'number' && Number.isSafeInteger(v) ? undefined : 'must be an integer, a named value or a policy expression';
  return typeof v === 'string' && type.enum.includes(v) ? undefined : `must be one of ${type.enum.map((x) => JSON.stringify(x)).join(', ')}`;
}

function encodeAttrValue(v: unknown): XmlValue {
  if (isPolicyExpression(v)) return { kind: 'expression', code: v.code, block: v.block };
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return v as string;
}

const NO = Symbol('no match');

function decodeAttrValue(type: AttrType, v: XmlValue): unknown {
  if (typeof v !== 'string') return { kind: 'expression', code: v.code, block: v.block };
  if (type === 'text' || isNamedValueRef(v)) return v;
  if (type === 'bool') return v === 'true' ? true : v === 'false' ? false : NO;
  if (type === 'int') {
    if (!/^-?\d+$/.test(v)) return NO;
    const n = Number(v);
    return Number.isSafeInteger(n) && String(n) === v ? n : NO;
  }
  return type.enum.includes(v) ? v : NO;
}

function copyValue(v: unknown): unknown {
  return isPolicyExpression(v) ? { kind: 'expression', code: v.code, block: v.block } : v;
}

// ---------------------------------------------------------------------------------------------
// builder side: check and canonicalise

/** Checks builder options against the spec and returns the canonical model object (without `kind`). */
export function normalizeModel(spec: StructSpec, input: Obj, path: string): Obj {
  if (typeof input !== 'object' || input === null) throw new TypeError(`${path}: options must be an object`);
  const out: Obj = {};
  const known = new Set<string>();
  for (const a of spec.attrs) {
    known.add(a.key);
    const v = input[a.key];
    if (v === undefined) continue;
    const problem = checkAttrValue(a.type, v);
    if (problem !== undefined) throw new TypeError(`${path}: ${a.key} (${a.xml}) ${problem}`);
    out[a.key] = copyValue(v);
  }
  for (const c of spec.children) {
    known.add(c.key);
    const v = input[c.key];
    const where = `${path}: ${c.key}`;
    switch (c.kind) {
      case 'content':
        if (v === undefined) break;
        if (isCData(v)) {
          if (v.value.includes(']]>')) throw new TypeError(`${where}: CDATA cannot contain "]]>"`);
          out[c.key] = { kind: 'cdata', value: v.value };
          break;
        }
        if (!isText(v)) throw new TypeError(`${where} must be a string, a policy expression or cdata()`);
        out[c.key] = copyValue(v);
        break;
      case 'text':
        if (v === undefined) break;
        if (!isText(v)) throw new TypeError(`${where} must be a string or a policy expression`);
        out[c.key] = copyValue(v);
        break;
      case 'texts':
      case 'wrapped-texts': {
        if (v === undefined) break;
        if (!Array.isArray(v) || !v.every(isText)) throw new TypeError(`${where} must be a list of strings or policy expressions`);
        if (c.kind === 'texts' && v.length === 0) break;
        out[c.key] = v.map(copyValue);
        break;
      }
      case 'struct': {
        if (v === undefined) break;
        if (c.many || c.wrapper !== undefined) {
          if (!Array.isArray(v)) throw new TypeError(`${where} must be a list`);
          if (c.wrapper === undefined && v.length === 0) break;
          out[c.key] = v.map((x: Obj, i) => normalizeModel(c.spec, x, `${where}[${i}]`));
        } else {
          out[c.key] = normalizeModel(c.spec, v as Obj, where);
        }
        break;
      }
      case 'element': {
        if (v === undefined) break;
        const list = c.many ? v : [v];
        if (!Array.isArray(list)) throw new TypeError(`${where} must be a list`);
        for (const x of list) {
          if (typeof x !== 'object' || x === null || (x as Obj).kind !== c.xml) throw new TypeError(`${where} must hold ${c.xml} elements (use the ${c.xml} builder)`);
        }
        if (c.many && list.length === 0) break;
        out[c.key] = v;
        break;
      }
      case 'policies': {
        if (v === undefined) {
          if (c.xml === undefined) out[c.key] = [];
          break;
        }
        if (!Array.isArray(v)) throw new TypeError(`${where} must be a list of policy elements`);
        for (const x of v) {
          if (typeof x !== 'object' || x === null || typeof (x as Obj).kind !== 'string') throw new TypeError(`${where} must hold policy elements`);
        }
        out[c.key] = [...v];
        break;
      }
    }
  }
  if (spec.leadingComments && input.comments !== undefined) {
    known.add('comments');
    const c = input.comments;
    if (!Array.isArray(c) || !c.every((x) => typeof x === 'string' && !x.includes('--'))) throw new TypeError(`${path}: comments must be a list of comment texts without "--"`);
    if (c.length > 0) out.comments = [...c];
  }
  for (const k of Object.keys(input)) {
    if (k !== 'kind' && !known.has(k) && input[k] !== undefined) throw new TypeError(`${path}: unknown option ${JSON.stringify(k)}`);
  }
  const problem = spec.check?.(out);
  if (problem !== undefined) throw new TypeError(`${path}: ${problem}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// encode

function textElement(name: string, v: unknown): XmlElement {
  const value = encodeAttrValue(v);
  return { kind: 'element', name, attributes: [], children: value === '' ? [] : [{ kind: 'text', value }] };
}

export function encodeStruct(name: string, spec: StructSpec, model: Obj, ctx: CodecContext): XmlElement {
  const attributes: XmlAttribute[] = [];
  for (const a of spec.attrs) {
    const v = model[a.key];
    if (v !== undefined) attributes.push({ name: a.xml, value: encodeAttrValue(v) });
  }
  const children: XmlNode[] = [];
  for (const c of spec.children) {
    const v = model[c.key];
    if (v === undefined) continue;
    switch (c.kind) {
      case 'content': {
        if (isCData(v)) {
          children.push({ kind: 'cdata', value: v.value });
          break;
        }
        const value = encodeAttrValue(v);
        if (value !== '') children.push({ kind: 'text', value });
        break;
      }
      case 'text':
        children.push(textElement(c.xml, v));
        break;
      case 'texts':
        for (const x of v as unknown[]) children.push(textElement(c.xml, x));
        break;
      case 'wrapped-texts':
        children.push({ kind: 'element', name: c.xml, attributes: [], children: (v as unknown[]).map((x) => textElement(c.item, x)) });
        break;
      case 'struct': {
        const list = c.many || c.wrapper !== undefined ? (v as Obj[]) : [v as Obj];
        const els = list.flatMap((x): XmlNode[] => [
          ...(c.spec.leadingComments && Array.isArray(x.comments) ? (x.comments as string[]).map((value): XmlNode => ({ kind: 'comment', value })) : []),
          encodeStruct(c.xml, c.spec, x, ctx),
        ]);
        if (c.wrapper !== undefined) children.push({ kind: 'element', name: c.wrapper, attributes: [], children: els });
        else children.push(...els);
        break;
      }
      case 'element':
        children.push(...ctx.encodeNodes(c.many ? (v as unknown[]) : [v]));
        break;
      case 'policies': {
        const nodes = ctx.encodeNodes(v as unknown[]);
        if (c.xml === undefined) children.push(...nodes);
        else children.push({ kind: 'element', name: c.xml, attributes: [], children: nodes });
        break;
      }
    }
  }
  return { kind: 'element', name, attributes, children };
}

// ---------------------------------------------------------------------------------------------
// decode

function decodeText(el: XmlElement): unknown {
  if (el.attributes.length > 0) return NO;
  const kids = significantChildren(el);
  if (kids.length === 0) return '';
  if (kids.length !== 1 || kids[0]?.kind !== 'text') return NO;
  return copyValue(kids[0].value);
}

/** Reads an element by its spec; `null` when it holds anything the spec does not describe. */
export function decodeStruct(spec: StructSpec, el: XmlElement, ctx: CodecContext): Obj | null {
  const out: Obj = {};
  for (const at of el.attributes) {
    const a = spec.attrs.find((x) => x.xml === at.name);
    if (a === undefined || a.key in out) return null;
    const v = decodeAttrValue(a.type, at.value);
    if (v === NO) return null;
    out[a.key] = v;
  }
  const kids = significantChildren(el);
  const direct = spec.children.find((c) => c.kind === 'policies' && c.xml === undefined);
  const content = spec.children.find((c) => c.kind === 'content');
  if (direct !== undefined) {
    out[direct.key] = ctx.decodeNodes(el.children);
    return spec.check?.(out) === undefined ? out : null;
  }
  if (content !== undefined && kids.every((k) => k.kind === 'text')) {
    if (kids.length > 1) return null;
    if (kids.length === 1) out[content.key] = copyValue((kids[0] as { value: XmlValue }).value);
    return spec.check?.(out) === undefined ? out : null;
  }
  if (content !== undefined && kids.length === 1 && kids[0]?.kind === 'cdata') {
    out[content.key] = { kind: 'cdata', value: kids[0].value };
    return spec.check?.(out) === undefined ? out : null;
  }
  let pending: string[] = [];
  for (const k of kids) {
    if (k.kind === 'comment') {
      pending.push(k.value);
      continue;
    }
    if (k.kind !== 'element') return null;
    const c = spec.children.find((x) =>
      x.kind === 'struct' ? (x.wrapper ?? x.xml) === k.name : x.kind !== 'content' && x.xml === k.name,
    );
    if (c === undefined) return null;
    const repeat = c.kind === 'texts' || (c.kind === 'struct' && c.many === true && c.wrapper === undefined) || (c.kind === 'element' && c.many === true);
    if (!repeat && c.key in out) return null;
    let v: unknown;
    switch (c.kind) {
      case 'text':
      case 'texts':
        v = decodeText(k);
        break;
      case 'wrapped-texts': {
        if (k.attributes.length > 0) return null;
        const items: unknown[] = [];
        for (const item of significantChildren(k)) {
          if (item.kind !== 'element' || item.name !== c.item) return null;
          const t = decodeText(item);
          if (t === NO) return null;
          items.push(t);
        }
        v = items;
        break;
      }
      case 'struct': {
        if (c.wrapper !== undefined) {
          if (k.attributes.length > 0) return null;
          const items: Obj[] = [];
          for (const item of significantChildren(k)) {
            if (item.kind !== 'element' || item.name !== c.xml) return null;
            const s = decodeStruct(c.spec, item, ctx);
            if (s === null) return null;
            items.push(s);
          }
          v = items;
        } else {
          v = decodeStruct(c.spec, k, ctx);
          if (v === null) return null;
        }
        break;
      }
      case 'element': {
        const d = ctx.decodeElement(k) as Obj;
        if (d.kind !== c.xml) return null;
        v = d;
        break;
      }
      case 'policies':
        if (k.attributes.length > 0) return null;
        v = ctx.decodeNodes(k.children);
        break;
    }
    if (v === NO) return null;
    if (pending.length > 0) {
      if (c.kind !== 'struct' || c.wrapper !== undefined || !c.spec.leadingComments) return null;
      (v as Obj).comments = pending;
      pending = [];
    }
    if (repeat) ((out[c.key] ??= []) as unknown[]).push(v);
    else out[c.key] = v;
  }
  if (pending.length > 0) return null;
  return spec.check?.(out) === undefined ? out : null;
}
