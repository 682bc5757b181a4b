/** `<base />`, comments and the raw-XML escape hatch. */
import type { Base, Comment, RawXml } from '../model/nodes.js';

/** `<base />`: inherit the enclosing scope's policies here. */
export function base(): Base {
  return { kind: 'base' };
}

/** An XML comment (`--` is not allowed inside XML comments). */
export function comment(text: string): Comment {
  if (typeof text !== 'string' || text.includes('--') || text.endsWith('-')) throw new TypeError('A comment cannot contain "--" or end with "-"');
  return { kind: 'comment', text };
}

/**
 * The escape hatch: XML inserted as written when the policy is built. Prefer a typed element;
 * the linter flags every use.
 */
export function raw(xml: string): RawXml {
  if (typeof xml !== 'string' || xml.trim() === '') throw new TypeError('raw() needs the XML to insert');
  return { kind: 'raw', xml };
}
