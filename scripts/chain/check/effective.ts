/**
 * The effective policy: the scope chain folded into one `<policies>` document the way APIM runs
 * it — each `<base />` replaced by the enclosing scope's section, a scope without a section
 * inheriting it, `include-fragment` replaced by the fragment's elements, and `{{named values}}`
 * substituted where given (the emulator does the same at compile time: policies/emulator/harness.ts).
 * Every copied element remembers the file it came from, so findings point at the source line.
 */
import { childElements, isExpression, type XmlElement, type XmlNode, type XmlValue } from '../../../policies/xml/tree.js';
import type { PolicySource } from './types.js';

export const SECTIONS = ['inbound', 'backend', 'outbound', 'on-error'] as const;

export interface EffectivePolicy {
  root: XmlElement;
  /** The file each element of `root` came from. */
  fileOf: WeakMap<XmlElement, string>;
}

const REF = /\{\{([A-Za-z0-9._-]{1,256})\}\}/g;

function substitute(text: string, named: Readonly<Record<string, string>>): string {
  if (!text.includes('{{')) return text;
  return text.replace(REF, (m, name: string) => (Object.hasOwn(named, name) ? (named[name] as string) : m));
}

function substituteValue(v: XmlValue, named: Readonly<Record<string, string>>): XmlValue {
  return isExpression(v) ? { ...v, code: substitute(v.code, named) } : substitute(v, named);
}

/** `{{names}}` left in a text after substitution: values the check cannot compare. */
export function unresolvedNames(text: string): string[] {
  return [...text.matchAll(REF)].map((m) => m[1] as string);
}

export function effectivePolicy(
  policy: PolicySource,
  scopes: readonly PolicySource[] = [],
  fragments: Readonly<Record<string, PolicySource>> = {},
  namedValues: Readonly<Record<string, string>> = {},
): EffectivePolicy {
  const chain = [...scopes, policy];
  const fileOf = new WeakMap<XmlElement, string>();

  const copy = (nodes: readonly XmlNode[], file: string, base: () => XmlNode[], including: readonly string[]): XmlNode[] => {
    const out: XmlNode[] = [];
    for (const n of nodes) {
      if (n.kind !== 'element') {
        out.push(n.kind === 'text' ? { ...n, value: substituteValue(n.value, namedValues) } : n);
        continue;
      }
      if (n.name === 'base') {
        out.push(...base());
        continue;
      }
      if (n.name === 'include-fragment') {
        const id = n.attributes.find((a) => a.name === 'fragment-id')?.value;
        const fragment = typeof id === 'string' ? fragments[id] : undefined;
        // an unknown fragment (or one including itself) stays as the element: the check sees what it cannot open
        if (fragment !== undefined && typeof id === 'string' && !including.includes(id)) {
          out.push(...copy(fragment.root.children, fragment.file, base, [...including, id]));
          continue;
        }
      }
      const el: XmlElement = {
        kind: 'element',
        name: n.name,
        attributes: n.attributes.map((a) => ({ name: a.name, value: substituteValue(a.value, namedValues) })),
        children: copy(n.children, file, base, including),
        ...(n.loc ? { loc: n.loc } : {}),
      };
      fileOf.set(el, file);
      out.push(el);
    }
    return out;
  };

  const section = (name: string, level: number): XmlNode[] => {
    if (level < 0) return [];
    const src = chain[level] as PolicySource;
    const el = childElements(src.root, name)[0];
    if (!el) return section(name, level - 1);
    return copy(el.children, src.file, () => section(name, level - 1), []);
  };

  const root: XmlElement = {
    kind: 'element',
    name: 'policies',
    attributes: [],
    children: SECTIONS.map((s): XmlElement => ({ kind: 'element', name: s, attributes: [], children: section(s, chain.length - 1) })),
  };
  fileOf.set(root, policy.file);
  for (const s of childElements(root)) fileOf.set(s, policy.file);
  return { root, fileOf };
}
