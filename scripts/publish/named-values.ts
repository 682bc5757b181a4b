/**
 * The `{{named value}}` references of a policy tree, for the check before publishing: APIM
 * rejects a policy that names an undefined value, and we would rather say which, up front.
 */
import type { XmlElement, XmlNode, XmlValue } from '../../policies/xml/tree.js';
import { attr, isExpression } from '../../policies/xml/tree.js';
import { namedValuesIn } from '../../policies/model/values.js';

function valueText(v: XmlValue): string {
  return isExpression(v) ? v.code : v;
}

/** A liquid template body: its `{{ … }}` are liquid output tags, not named values. */
function isLiquidBody(el: XmlElement): boolean {
  if (el.name !== 'set-body') return false;
  const t = attr(el, 'template');
  return typeof t === 'string' && t.trim().toLowerCase() === 'liquid';
}

/**
 * Every named value referenced in attributes, text, CDATA and expressions (APIM substitutes
 * them before evaluating expressions), sorted. The content of `set-body template="liquid"` is
 * skipped; comments are skipped (APIM does not resolve them).
 */
export function referencedNamedValues(root: XmlElement): string[] {
  const found = new Set<string>();
  const visit = (n: XmlNode, inLiquid: boolean): void => {
    switch (n.kind) {
      case 'element': {
        for (const a of n.attributes) namedValuesIn(valueText(a.value), found);
        const liquid = inLiquid || isLiquidBody(n);
        for (const c of n.children) visit(c, liquid);
        return;
      }
      case 'text':
        if (!inLiquid) namedValuesIn(valueText(n.value), found);
        return;
      case 'cdata':
        if (!inLiquid) namedValuesIn(n.value, found);
        return;
      case 'comment':
        return;
    }
  };
  visit(root, false);
  return [...found].sort();
}

/** The references the service does not define, sorted. */
export function missingNamedValues(referenced: readonly string[], defined: ReadonlySet<string>): string[] {
  return referenced.filter((name) => !defined.has(name));
}
