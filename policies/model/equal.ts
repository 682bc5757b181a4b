/**
 * Semantic equality of policy XML trees: what "the same policy" means for round trips.
 * Attribute order and whitespace-only text between elements are ignored, and literal text is
 * compared with surrounding whitespace trimmed; element names, attribute names and values,
 * child order, comments, CDATA and expressions (byte for byte) all count.
 */
import type { XmlElement, XmlNode, XmlValue } from '../xml/tree.js';

function valueEqual(a: XmlValue, b: XmlValue, trim: boolean): boolean {
  if (typeof a === 'string' || typeof b === 'string') {
    if (typeof a !== 'string' || typeof b !== 'string') return false;
    return trim ? a.trim() === b.trim() : a === b;
  }
  return a.code === b.code && a.block === b.block;
}

/** Children that carry meaning: whitespace-only text is layout. */
export function significantChildren(el: XmlElement): XmlNode[] {
  return el.children.filter((c) => !(c.kind === 'text' && typeof c.value === 'string' && c.value.trim() === ''));
}

export function semanticEqual(a: XmlNode, b: XmlNode): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'text':
      return valueEqual(a.value, (b as typeof a).value, true);
    case 'cdata':
    case 'comment':
      return a.value === (b as typeof a).value;
    case 'element': {
      const e = b as XmlElement;
      if (a.name !== e.name || a.attributes.length !== e.attributes.length) return false;
      for (const at of a.attributes) {
        const other = e.attributes.find((x) => x.name === at.name);
        if (other === undefined || !valueEqual(at.value, other.value, false)) return false;
      }
      const ca = significantChildren(a);
      const cb = significantChildren(e);
      if (ca.length !== cb.length) return false;
      return ca.every((c, i) => semanticEqual(c, cb[i] as XmlNode));
    }
  }
}
