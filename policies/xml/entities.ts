/** XML character escaping and entity decoding for the policy XML layer (internal). */

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ENTITY = /&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g;

/** Decodes the five predefined entities and character references; anything else is kept. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY, (m, name: string) => {
    if (name.startsWith('#x')) return safeCodePoint(parseInt(name.slice(2), 16)) ?? m;
    if (name.startsWith('#')) return safeCodePoint(parseInt(name.slice(1), 10)) ?? m;
    return NAMED[name] ?? m;
  });
}

/** true when every `&` in the text starts a predefined entity or character reference. */
export function hasOnlyValidEntities(s: string): boolean {
  let i = s.indexOf('&');
  while (i !== -1) {
    ENTITY.lastIndex = i;
    const m = ENTITY.exec(s);
    if (m === null || m.index !== i) return false;
    i = s.indexOf('&', i + 1);
  }
  return true;
}

function safeCodePoint(n: number): string | undefined {
  if (!Number.isFinite(n) || n < 0 || n > 0x10ffff) return undefined;
  return String.fromCodePoint(n);
}

/** Escapes element text: `&`, `<`, `>`. */
export function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/**
 * Escapes a `"`-quoted attribute value. Tabs and line breaks become character references so an
 * XML reader's attribute-value normalisation cannot turn them into spaces (a multi-line `@{...}`
 * with `//` comments would otherwise change meaning).
 */
export function escapeAttribute(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case '\t':
        return '&#9;';
      case '\n':
        return '&#10;';
      default:
        return '&#13;';
    }
  });
}
