/** Tree walking shared by the rules (internal). */
import { attr, childElements, isExpression, type XmlElement, type XmlNode, type XmlValue } from '../xml/tree.js';
import type { Visit } from './types.js';

export const SECTIONS = ['inbound', 'backend', 'outbound', 'on-error'] as const;

/** Every element in document order, with its path, ancestors and section. */
export function walk(root: XmlElement): Visit[] {
  const out: Visit[] = [];
  const sectionOf = (el: XmlElement, ancestors: XmlElement[]): string | undefined => {
    if (ancestors.length === 0) return undefined;
    if (root.name === 'fragment') return 'fragment';
    const top = ancestors.length === 1 ? el : (ancestors[1] as XmlElement);
    return (SECTIONS as readonly string[]).includes(top.name) ? top.name : undefined;
  };
  const visit = (el: XmlElement, path: string, ancestors: XmlElement[]): void => {
    out.push({ el, path, ancestors, section: sectionOf(el, ancestors) });
    const kids = childElements(el);
    const counts = new Map<string, number>();
    for (const k of kids) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const k of kids) {
      const i = (seen.get(k.name) ?? 0) + 1;
      seen.set(k.name, i);
      const step = (counts.get(k.name) ?? 0) > 1 ? `${k.name}[${i}]` : k.name;
      visit(k, `${path}/${step}`, [...ancestors, el]);
    }
  };
  visit(root, root.name, []);
  return out;
}

/** The attribute as plain text (`undefined` when absent or an expression). */
export function literalAttr(el: XmlElement, name: string): string | undefined {
  const v = attr(el, name);
  return typeof v === 'string' ? v : undefined;
}

/** The element's text content (texts and CDATA joined; expressions as their code). */
export function textContent(el: XmlElement): string {
  return el.children
    .map((c: XmlNode) => (c.kind === 'text' ? valueText(c.value) : c.kind === 'cdata' ? c.value : ''))
    .join('')
    .trim();
}

export function valueText(v: XmlValue): string {
  return isExpression(v) ? v.code : v;
}

/** Case-insensitive prefix match of a header name. */
export function hasPrefix(name: string, prefixes: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return prefixes.some((p) => lower.startsWith(p.toLowerCase()));
}

/**
 * true when `before` runs before `v` on every path: it is an earlier sibling of `v` or of one of
 * `v`'s ancestors (so a validation inside one `<when>` branch does not count for what follows).
 */
export function dominates(before: Visit, v: Visit): boolean {
  const chain = [...v.ancestors, v.el];
  for (let i = chain.length - 1; i > 0; i--) {
    const parent = chain[i - 1] as XmlElement;
    const self = chain[i] as XmlElement;
    const idx = parent.children.indexOf(self);
    const bIdx = parent.children.indexOf(before.el);
    if (bIdx !== -1 && bIdx < idx) return true;
  }
  return false;
}

export const VALIDATORS = new Set(['validate-jwt', 'validate-azure-ad-token']);
