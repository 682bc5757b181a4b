/**
 * The typed model ⇄ the generic XML tree.
 *
 * `buildPolicy(doc)` writes a document or fragment as an {@link XmlElement}; `readPolicy(el)`
 * reads one back. A parsed element becomes typed only when its typed form writes back to the
 * same XML (semantically: attribute order and whitespace aside, expressions byte for byte);
 * anything else is kept as a generic node, so nothing is ever dropped or altered.
 */
import type { XmlElement, XmlNode } from '../xml/tree.js';
import { ELEMENT_SPECS } from '../elements/registry.js';
import { decodeStruct, encodeStruct, type CodecContext } from './schema.js';
import { semanticEqual, significantChildren } from './equal.js';
import type { PolicyNode } from './nodes.js';
import { SECTION_NAMES, sectionKey, type LayoutItem, type PolicyDocument, type PolicyFragment, type SectionName } from './document.js';
import { PolicyModelError } from './errors.js';
import { rawToNodes, RAW_XML_MARKER } from './raw-xml.js';

const ctx: CodecContext = {
  decodeNodes: (nodes) => decodeNodes(nodes),
  encodeNodes: (items) => encodeNodes(items as PolicyNode[]),
  decodeElement: (el) => decodeElement(el),
};

function encodeNode(n: PolicyNode): XmlNode[] {
  switch (n.kind) {
    case 'base':
      return [{ kind: 'element', name: 'base', attributes: [], children: [] }];
    case 'comment':
      return [{ kind: 'comment', value: n.text }];
    case 'raw':
      // the marker lets the linter (and reviewers) see where hand-written XML starts
      return [{ kind: 'comment', value: ` ${RAW_XML_MARKER} ` }, ...rawToNodes(n.xml)];
    case 'xml':
      return [n.node];
    default: {
      const spec = ELEMENT_SPECS.get(n.kind);
      if (spec === undefined) throw new PolicyModelError('ERR_POLICY_MODEL', `Unknown policy node kind ${JSON.stringify((n as { kind: unknown }).kind)}`);
      return [encodeStruct(spec.name, spec, n as unknown as Record<string, unknown>, ctx)];
    }
  }
}

/** Writes a list of policy nodes as XML nodes. */
export function encodeNodes(items: readonly PolicyNode[]): XmlNode[] {
  return items.flatMap(encodeNode);
}

/** Reads one element: typed when the typed form writes back to the same XML, generic otherwise. */
export function decodeElement(el: XmlElement): PolicyNode {
  if (el.name === 'base' && el.attributes.length === 0 && significantChildren(el).length === 0) return { kind: 'base' };
  const spec = ELEMENT_SPECS.get(el.name);
  if (spec !== undefined) {
    const fields = decodeStruct(spec, el, ctx);
    if (fields !== null) {
      const typed = { kind: spec.name, ...fields } as unknown as PolicyNode;
      const back = encodeNode(typed);
      if (back.length === 1 && semanticEqual(back[0] as XmlNode, el)) return typed;
    }
  }
  return { kind: 'xml', node: el };
}

/** Reads a list of XML nodes (whitespace between elements is layout and is not kept). */
export function decodeNodes(nodes: readonly XmlNode[]): PolicyNode[] {
  const out: PolicyNode[] = [];
  for (const n of nodes) {
    if (n.kind === 'text' && typeof n.value === 'string' && n.value.trim() === '') continue;
    if (n.kind === 'comment') out.push({ kind: 'comment', text: n.value });
    else if (n.kind === 'element') out.push(decodeElement(n));
    else out.push({ kind: 'xml', node: n });
  }
  return out;
}

function sectionElement(name: SectionName, items: PolicyNode[]): XmlElement {
  return { kind: 'element', name, attributes: [], children: encodeNodes(items) };
}

/** Writes a policy document or fragment as the generic XML tree. */
export function buildPolicy(doc: PolicyDocument | PolicyFragment): XmlElement {
  if (doc.kind === 'fragment') return { kind: 'element', name: 'fragment', attributes: [], children: encodeNodes(doc.policies) };
  if (doc.kind !== 'policies') throw new PolicyModelError('ERR_POLICY_MODEL', 'buildPolicy needs a policy document or a fragment');
  const children: XmlNode[] = [];
  const layout: readonly LayoutItem[] = doc.layout ?? SECTION_NAMES;
  for (const item of layout) {
    if (typeof item === 'string') {
      const items = doc[sectionKey(item)];
      if (items !== undefined) children.push(sectionElement(item, items));
    } else {
      children.push(...encodeNode(item));
    }
  }
  return { kind: 'element', name: 'policies', attributes: [], children };
}

/** Reads a `<policies>` or `<fragment>` element into the typed model. */
export function readPolicy(el: XmlElement): PolicyDocument | PolicyFragment {
  if (el.name === 'fragment' && el.attributes.length === 0) return { kind: 'fragment', policies: decodeNodes(el.children) };
  if (el.name !== 'policies' || el.attributes.length > 0) {
    throw new PolicyModelError('ERR_POLICY_ROOT', `A policy document's root is <policies> or <fragment>, not <${el.name}>${el.loc ? ` (line ${el.loc.line}, column ${el.loc.column})` : ''}`);
  }
  const doc: PolicyDocument = { kind: 'policies' };
  const layout: LayoutItem[] = [];
  for (const n of significantChildren(el)) {
    const name = n.kind === 'element' ? (SECTION_NAMES as readonly string[]).find((s) => s === n.name) as SectionName | undefined : undefined;
    if (n.kind === 'element' && name !== undefined && n.attributes.length === 0 && doc[sectionKey(name)] === undefined) {
      doc[sectionKey(name)] = decodeNodes(n.children);
      layout.push(name);
    } else if (n.kind === 'comment') {
      layout.push({ kind: 'comment', text: n.value });
    } else {
      layout.push({ kind: 'xml', node: n });
    }
  }
  const canonical = SECTION_NAMES.filter((s) => layout.includes(s));
  const isCanonical = layout.length === canonical.length && layout.every((x, i) => x === canonical[i]);
  if (!isCanonical) doc.layout = layout;
  return doc;
}
