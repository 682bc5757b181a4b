/**
 * The scanner that runs before any XML parser sees APIM policy XML.
 *
 * APIM's raw form is not well-formed XML: attribute expressions hold unescaped `"`
 * (`condition="@(context.Request.Headers.ContainsKey("Authorization"))"`) and element text holds
 * `<` and `&&` (`Body.As<JObject>()`). This module finds every policy expression — an attribute
 * value or an element text that starts with `@(` or `@{` — with a lexer that understands C#
 * strings (regular, verbatim `@"..."`, interpolated `$"...{hole}..."`, `$@"..."`/`@$"..."`), char
 * literals and comments, and masks it, so the rest is plain XML.
 *
 * Masking keeps every offset: an expression is replaced by one private-use character that numbers
 * it (U+E000 + index) followed by filler characters (U+F8FF) and the expression's own line breaks.
 * Lines and columns of the masked text are therefore those of the source.
 *
 * The well-formed form (entities escaped, as publishing with `format: xml` sends) is recognised
 * per expression: when the value up to the XML delimiter, entity-decoded, is exactly one balanced
 * expression, it is read that way; otherwise the raw C# scan decides where the expression ends.
 */
import { CSharpError } from '../csharp/diagnostics.js';
import { scanCharLiteral, scanStringLiteral, stringPrefixLength } from '../csharp/lexer.js';
import { decodeEntities, hasOnlyValidEntities } from './entities.js';
import type { PolicyXmlErrorCode } from './errors.js';

/** A scan failure at a source offset; the parser turns it into a PolicyXmlError. */
export class ScanFailure extends Error {
  constructor(
    readonly code: PolicyXmlErrorCode,
    readonly reason: string,
    readonly offset: number,
  ) {
    super(reason);
  }
}

export interface MaskedExpression {
  /** The expression as C# sees it (entity-decoded in the well-formed form), `@(`…`)` included. */
  code: string;
  block: boolean;
  /** Source offsets of the expression text (end exclusive). */
  start: number;
  end: number;
  /** Whether the source held it entity-escaped (`xml`) or verbatim (`raw`). */
  form: 'xml' | 'raw';
  /** Where it sits. */
  in: 'attribute' | 'text';
}

export interface MaskedPolicyXml {
  /** Same length and line breaks as the source, with expressions masked. */
  masked: string;
  expressions: MaskedExpression[];
  /** Source offsets of every start tag `<name`, in document order. */
  elementStarts: number[];
}

/** First masking character; the expression index is added to it. */
export const MASK_BASE = 0xe000;
/** Filler for the rest of a masked expression. */
export const MASK_FILL = 0xf8ff;
const MAX_EXPRESSIONS = MASK_FILL - MASK_BASE;

const CLOSER: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * Scans the C# expression that starts at `start` (`@(` or `@{`) and returns the offset just
 * after its closing bracket. Throws ScanFailure when it never closes.
 */
export function scanExpression(src: string, start: number, options: { lenient?: boolean } = {}): number {
  if (src[start] !== '@' || (src[start + 1] !== '(' && src[start + 1] !== '{')) {
    throw new ScanFailure('ERR_XML_UNTERMINATED_EXPRESSION', 'an expression starts with @( or @{', start);
  }
  return scanBalanced(src, start + 1, start, options.lenient === true);
}

/** src[pos] is an opening bracket; returns the offset after its matching closer. */
function scanBalanced(src: string, pos: number, exprStart: number, lenient: boolean): number {
  const stack: string[] = [CLOSER[src[pos] as string] as string];
  pos++;
  const n = src.length;
  while (pos < n) {
    const c = src[pos] as string;
    const d = src[pos + 1];
    if (stringPrefixLength(src, pos) > 0) {
      pos = skipString(src, pos, exprStart, lenient);
    } else if (c === "'") {
      pos = skipChar(src, pos);
    } else if (c === '/' && d === '/') {
      const nl = src.indexOf('\n', pos + 2);
      pos = nl === -1 ? n : nl;
    } else if (c === '/' && d === '*') {
      const close = src.indexOf('*/', pos + 2);
      if (close === -1) throw unterminated(exprStart, 'a /* comment */ that never closes');
      pos = close + 2;
    } else if (c === '(' || c === '[' || c === '{') {
      stack.push(CLOSER[c] as string);
      pos++;
    } else if (c === ')' || c === ']' || c === '}') {
      const want = stack[stack.length - 1];
      if (c !== want) {
        if (!lenient) {
          throw new ScanFailure('ERR_XML_EXPRESSION_BRACKET', `expression bracket '${c}' does not match; expected '${want}'`, pos);
        }
        // recover as a tolerant parser would: close the nearest matching bracket, or ignore this one
        const k = stack.lastIndexOf(c);
        if (k === -1) {
          pos++;
          continue;
        }
        stack.length = k + 1;
      }
      stack.pop();
      pos++;
      if (stack.length === 0) return pos;
    } else {
      pos++;
    }
  }
  throw unterminated(exprStart, `expression never closes: missing '${stack.reverse().join("', '")}'`);
}

function unterminated(exprStart: number, reason: string): ScanFailure {
  return new ScanFailure('ERR_XML_UNTERMINATED_EXPRESSION', reason, exprStart);
}

/**
 * `pos` is where a string literal starts (its `@`/`$` prefix included); returns the offset after
 * its closing quote. The C# front end's lexer reads the literal; holes of an interpolated string
 * are scanned here, so their brackets are checked like the rest of the expression.
 */
function skipString(src: string, pos: number, exprStart: number, lenient = false): number {
  try {
    return scanStringLiteral(src, pos, src.length, (s, open) => ({ close: scanBalanced(s, open, exprStart, lenient) - 1, formatAt: -1 })).end;
  } catch (err) {
    if (err instanceof CSharpError) throw unterminated(exprStart, 'a C# string in the expression never closes');
    throw err;
  }
}

/** `pos` is at `'`: skips a char literal (`'a'`, `'\''`, `'\u0041'`) when there is one. */
function skipChar(src: string, pos: number): number {
  return scanCharLiteral(src, pos)?.end ?? pos + 1;
}

/** true when `text` (already decoded) is exactly one balanced expression, up to trailing space. */
export function isWholeExpression(text: string, allowTrailingSpace: boolean, lenient = false): boolean {
  if (!(text.startsWith('@(') || text.startsWith('@{'))) return false;
  try {
    const end = scanExpression(text, 0, { lenient });
    return end === text.length || (allowTrailingSpace && text.slice(end).trim() === '');
  } catch {
    return false;
  }
}

const NAME_START = /[A-Za-z_:]/;
const FILLED = /[^\r\n]/g;
/** The run of a start tag up to the next quote or `>`. */
const TAG_PLAIN = /[^"'>]*/y;
const FILL = String.fromCharCode(MASK_FILL);
const WS = /\s/;

/** Masks every policy expression in `src`; see the module comment. */
export function maskPolicyXml(src: string): MaskedPolicyXml {
  const reserved = /[\ue000-\uf8ff]/.exec(src);
  if (reserved !== null) {
    throw new ScanFailure(
      'ERR_XML_RESERVED_CHARACTER',
      'the text holds a Unicode private-use character (U+E000–U+F8FF), which the parser reserves',
      reserved.index,
    );
  }
  const expressions: MaskedExpression[] = [];
  const elementStarts: number[] = [];
  const n = src.length;

  const mask = (e: MaskedExpression): void => {
    if (expressions.length >= MAX_EXPRESSIONS) {
      throw new ScanFailure('ERR_XML_MALFORMED', `more than ${MAX_EXPRESSIONS} expressions in one document`, e.start);
    }
    expressions.push(e);
  };

  /** A text run starts at `pos`: masks a leading expression; returns where plain text resumes. */
  const text = (pos: number): number => {
    let p = pos;
    while (p < n && WS.test(src[p] as string)) p++;
    if (src[p] !== '@' || (src[p + 1] !== '(' && src[p + 1] !== '{')) return p;
    const lt = src.indexOf('<', p);
    const candidate = src.slice(p, lt === -1 ? n : lt);
    const block = src[p + 1] === '{';
    if (hasOnlyValidEntities(candidate)) {
      const decoded = decodeEntities(candidate);
      if (isWholeExpression(decoded, true)) {
        const code = decoded.trimEnd();
        // the source span ends where the decoded code ends: count back over trailing space
        const end = p + candidate.trimEnd().length;
        mask({ code, block, start: p, end, form: 'xml', in: 'text' });
        return end;
      }
    }
    const end = scanExpression(src, p);
    mask({ code: src.slice(p, end), block, start: p, end, form: 'raw', in: 'text' });
    return end;
  };

  /** An attribute value opens with `quote` at `pos`; returns the offset after its closing quote. */
  const attributeValue = (pos: number, quote: string): number => {
    const v = pos + 1;
    const close = src.indexOf(quote, v);
    if (src[v] === '@' && (src[v + 1] === '(' || src[v + 1] === '{')) {
      const block = src[v + 1] === '{';
      if (close !== -1) {
        const candidate = src.slice(v, close);
        if (!candidate.includes('<') && hasOnlyValidEntities(candidate)) {
          const decoded = decodeEntities(candidate);
          if (isWholeExpression(decoded, false)) {
            mask({ code: decoded, block, start: v, end: close, form: 'xml', in: 'attribute' });
            return close + 1;
          }
        }
      }
      let end = -1;
      let failure: unknown;
      try {
        end = scanExpression(src, v);
      } catch (err) {
        failure = err;
      }
      if (end !== -1 && src[end] === quote) {
        mask({ code: src.slice(v, end), block, start: v, end, form: 'raw', in: 'attribute' });
        return end + 1;
      }
      // brackets that do not balance (C# APIM would not compile, kept byte for byte): recover
      if (failure instanceof ScanFailure && failure.code === 'ERR_XML_EXPRESSION_BRACKET') {
        if (close !== -1) {
          const candidate = src.slice(v, close);
          if (!candidate.includes('<') && hasOnlyValidEntities(candidate)) {
            const decoded = decodeEntities(candidate);
            if (isWholeExpression(decoded, false, true)) {
              mask({ code: decoded, block, start: v, end: close, form: 'xml', in: 'attribute' });
              return close + 1;
            }
          }
        }
        try {
          const recovered = scanExpression(src, v, { lenient: true });
          if (src[recovered] === quote) {
            mask({ code: src.slice(v, recovered), block, start: v, end: recovered, form: 'raw', in: 'attribute' });
            return recovered + 1;
          }
        } catch {
          // report the first failure
        }
      }
      if (failure !== undefined) throw failure;
      throw new ScanFailure('ERR_XML_MALFORMED', `expected the closing ${quote} right after the expression`, end);
    }
    return close === -1 ? n : close + 1;
  };

  let pos = 0;
  let textStart = true;
  while (pos < n) {
    if (textStart) {
      pos = text(pos);
      textStart = false;
      continue;
    }
    if (src[pos] !== '<') {
      const lt = src.indexOf('<', pos);
      pos = lt === -1 ? n : lt;
      continue;
    }
    if (src.startsWith('<!--', pos)) {
      const close = src.indexOf('-->', pos + 4);
      if (close === -1) throw new ScanFailure('ERR_XML_MALFORMED', 'comment <!-- never closes', pos);
      const dashes = src.indexOf('--', pos + 4);
      if (dashes < close) {
        const nested = src[dashes - 1] === '!' && src[dashes - 2] === '<';
        throw new ScanFailure(
          'ERR_XML_MALFORMED',
          nested ? "'<!--' inside a comment: comments do not nest" : "'--' inside a comment",
          nested ? dashes - 2 : dashes,
        );
      }
      pos = close + 3;
    } else if (src.startsWith('<![CDATA[', pos)) {
      const close = src.indexOf(']]>', pos + 9);
      if (close === -1) throw new ScanFailure('ERR_XML_MALFORMED', 'CDATA section never closes', pos);
      pos = close + 3;
    } else if (src.startsWith('<?', pos)) {
      const close = src.indexOf('?>', pos + 2);
      if (close === -1) throw new ScanFailure('ERR_XML_MALFORMED', 'processing instruction <? never closes', pos);
      pos = close + 2;
    } else if (/^<!DOCTYPE/i.test(src.slice(pos, pos + 9))) {
      // policies never need one, and entity declarations are how XML bombs and XXE start
      throw new ScanFailure('ERR_XML_MALFORMED', 'a DOCTYPE is not allowed in policy XML', pos);
    } else if (src.startsWith('<!', pos) || src[pos + 1] === '/') {
      const close = src.indexOf('>', pos + 2);
      if (close === -1) throw new ScanFailure('ERR_XML_MALFORMED', 'tag never closes', pos);
      pos = close + 1;
    } else if (NAME_START.test(src[pos + 1] ?? '')) {
      elementStarts.push(pos);
      pos++;
      // inside a start tag: attribute values are the only place quotes mean something
      while (pos < n) {
        TAG_PLAIN.lastIndex = pos;
        TAG_PLAIN.test(src);
        pos = TAG_PLAIN.lastIndex;
        const q = src[pos];
        if (q === '"' || q === "'") pos = attributeValue(pos, q);
        else break;
      }
      if (pos >= n) throw new ScanFailure('ERR_XML_MALFORMED', 'start tag never closes', elementStarts[elementStarts.length - 1] ?? 0);
      pos++;
    } else {
      // a stray '<': leave it to the XML parser to report
      pos++;
      continue;
    }
    textStart = true;
  }
  // expressions were found in document order: splice the masks in between untouched slices
  let masked = '';
  let last = 0;
  expressions.forEach((e, i) => {
    masked += src.slice(last, e.start) + String.fromCharCode(MASK_BASE + i) + src.slice(e.start + 1, e.end).replace(FILLED, FILL);
    last = e.end;
  });
  masked += src.slice(last);
  return { masked, expressions, elementStarts };
}

/** A string, char literal or comment inside C# expression code. */
export interface CSharpLiteral {
  kind: 'string' | 'char' | 'comment';
  /** Offsets in the code, end exclusive; strings include their quotes and `@`/`$` prefixes. */
  start: number;
  end: number;
}

/**
 * Lists the top-level string literals, char literals and comments of expression code, in order
 * (an interpolated string is one literal, holes included). Tolerant: stops at an unterminated one.
 */
export function csharpLiterals(code: string): CSharpLiteral[] {
  const out: CSharpLiteral[] = [];
  const n = code.length;
  let pos = 0;
  try {
    while (pos < n) {
      const c = code[pos] as string;
      const d = code[pos + 1];
      const start = pos;
      if (stringPrefixLength(code, pos) > 0) pos = skipString(code, pos, start, true);
      else if (c === "'") {
        pos = skipChar(code, pos);
        if (pos === start + 1) continue;
        out.push({ kind: 'char', start, end: pos });
        continue;
      } else if (c === '/' && d === '/') {
        const nl = code.indexOf('\n', pos + 2);
        pos = nl === -1 ? n : nl;
        out.push({ kind: 'comment', start, end: pos });
        continue;
      } else if (c === '/' && d === '*') {
        const close = code.indexOf('*/', pos + 2);
        if (close === -1) break;
        pos = close + 2;
        out.push({ kind: 'comment', start, end: pos });
        continue;
      } else {
        pos++;
        continue;
      }
      out.push({ kind: 'string', start, end: pos });
    }
  } catch {
    // an unterminated literal ends the list
  }
  return out;
}
