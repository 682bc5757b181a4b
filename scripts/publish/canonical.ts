/**
 * A canonical text of a policy tree, one line per element, for diffs people can read: two
 * indents per level, attributes sorted by name, whitespace-only text dropped and text trimmed,
 * expressions exactly as written (raw form). Two trees that are semantically equal (see
 * `policies/model/equal.ts`) have the same canonical text, so a diff only shows real changes.
 */
import type { XmlElement, XmlNode, XmlValue } from '../../policies/xml/tree.js';
import { isExpression } from '../../policies/xml/tree.js';

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attrValue(v: XmlValue): string {
  return isExpression(v) ? v.code : escapeAttr(v);
}

function textValue(v: XmlValue): string {
  return isExpression(v) ? v.code : escapeText(v.trim());
}

function significant(children: readonly XmlNode[]): XmlNode[] {
  return children.filter((c) => !(c.kind === 'text' && !isExpression(c.value) && c.value.trim() === ''));
}

function inline(n: XmlNode): string {
  switch (n.kind) {
    case 'text':
      return textValue(n.value);
    case 'cdata':
      return `<![CDATA[${n.value}]]>`;
    case 'comment':
      return `<!--${n.value}-->`;
    case 'element':
      return ''; // not used for elements
  }
}

function render(el: XmlElement, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  const attrs = [...el.attributes]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((a) => ` ${a.name}="${attrValue(a.value)}"`)
    .join('');
  const kids = significant(el.children);
  if (kids.length === 0) {
    out.push(`${pad}<${el.name}${attrs} />`);
    return;
  }
  if (kids.length === 1 && kids[0]!.kind !== 'element') {
    out.push(`${pad}<${el.name}${attrs}>${inline(kids[0]!)}</${el.name}>`);
    return;
  }
  out.push(`${pad}<${el.name}${attrs}>`);
  for (const k of kids) {
    if (k.kind === 'element') render(k, depth + 1, out);
    else out.push(`${pad}  ${inline(k)}`);
  }
  out.push(`${pad}</${el.name}>`);
}

/** The canonical text of a policy (or fragment) tree, ending in a newline. */
export function canonicalText(root: XmlElement): string {
  const out: string[] = [];
  render(root, 0, out);
  return out.join('\n') + '\n';
}
