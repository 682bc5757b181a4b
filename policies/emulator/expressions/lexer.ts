/**
 * Tokens of the C# subset that APIM policy expressions use. Positions are offsets into the
 * expression's code (including the leading `@(` / `@{`), turned into line:col by the caller.
 */
import { ExpressionError } from '../errors.js';

export type TokenKind = 'ident' | 'number' | 'string' | 'char' | 'interp' | 'punct' | 'eof';

/** One piece of an interpolated string: literal text or an embedded expression's source. */
export type InterpPart = { text: string } | { code: string; offset: number; format?: string };

export interface Token {
  kind: TokenKind;
  /** identifier name, punctuation text, or the decoded string / char value */
  value: string;
  /** for numbers: the numeric value; `isInt` tells C# int/long from double */
  num?: number;
  isInt?: boolean;
  parts?: InterpPart[];
  pos: number;
}

const PUNCT = [
  '=>', '??=', '??', '?.', '==', '!=', '<=', '>=', '&&', '||', '++', '--', '+=', '-=', '*=', '/=', '::',
  '(', ')', '[', ']', '{', '}', '.', ',', ';', ':', '?', '+', '-', '*', '/', '%', '!', '<', '>', '=', '&', '|', '^', '~',
];

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v',
};

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Splits `src[start..end)` into tokens. `base` is added to every position (for embedded code). */
export function tokenize(src: string, start = 0, end = src.length, base = 0): Token[] {
  const out: Token[] = [];
  let i = start;
  const at = (k: number): string => (k < end ? src[k]! : '');
  const fail = (msg: string, p: number): never => {
    throw new ExpressionError('EXPR_SYNTAX', msg, p + base);
  };
  while (i < end) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || /\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && at(i + 1) === '/') {
      while (i < end && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && at(i + 1) === '*') {
      const close = src.indexOf('*/', i + 2);
      if (close < 0 || close >= end) fail('unterminated comment', i);
      i = close + 2;
      continue;
    }
    const pos = i + base;
    if (isIdentStart(c) || (c === '@' && isIdentStart(at(i + 1)))) {
      let j = c === '@' ? i + 1 : i;
      while (j < end && isIdentPart(src[j]!)) j++;
      out.push({ kind: 'ident', value: src.slice(c === '@' ? i + 1 : i, j), pos });
      i = j;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(at(i + 1)))) {
      let j = i;
      let isInt = true;
      if (c === '0' && (at(i + 1) === 'x' || at(i + 1) === 'X')) {
        j = i + 2;
        while (j < end && /[0-9a-fA-F_]/.test(src[j]!)) j++;
        const num = parseInt(src.slice(i + 2, j).replace(/_/g, ''), 16);
        while (/[uUlL]/.test(at(j))) j++;
        out.push({ kind: 'number', value: src.slice(i, j), num, isInt: true, pos });
        i = j;
        continue;
      }
      while (j < end && (isDigit(src[j]!) || src[j] === '_')) j++;
      if (at(j) === '.' && isDigit(at(j + 1))) {
        isInt = false;
        j++;
        while (j < end && isDigit(src[j]!)) j++;
      }
      if (at(j) === 'e' || at(j) === 'E') {
        isInt = false;
        j++;
        if (at(j) === '+' || at(j) === '-') j++;
        while (j < end && isDigit(src[j]!)) j++;
      }
      const text = src.slice(i, j).replace(/_/g, '');
      const suffix = at(j);
      if (/[dDfFmM]/.test(suffix)) {
        isInt = false;
        j++;
      } else {
        while (/[uUlL]/.test(at(j))) j++;
      }
      out.push({ kind: 'number', value: text, num: Number(text), isInt, pos });
      i = j;
      continue;
    }
    // strings: "..", @"..", $"..", $@"..", @$".."
    if (c === '"' || ((c === '@' || c === '$') && (at(i + 1) === '"' || ((at(i + 1) === '@' || at(i + 1) === '$') && at(i + 2) === '"')))) {
      let j = i;
      let verbatim = false;
      let interp = false;
      while (src[j] !== '"') {
        if (src[j] === '@') verbatim = true;
        if (src[j] === '$') interp = true;
        j++;
      }
      j++; // opening quote
      const parts: InterpPart[] = [];
      let text = '';
      for (;;) {
        if (j >= end) fail('unterminated string literal', i);
        const d = src[j]!;
        if (d === '"') {
          if (verbatim && at(j + 1) === '"') {
            text += '"';
            j += 2;
            continue;
          }
          j++;
          break;
        }
        if (!verbatim && d === '\\') {
          const e = at(j + 1);
          if (e === 'u' || e === 'x') {
            const m = /^[0-9a-fA-F]{1,4}/.exec(src.slice(j + 2, Math.min(end, j + 6)));
            if (!m || (e === 'u' && m[0].length !== 4)) fail('bad escape sequence', j);
            text += String.fromCharCode(parseInt(m![0], 16));
            j += 2 + m![0].length;
            continue;
          }
          const s = SIMPLE_ESCAPES[e];
          if (s === undefined) fail(`unsupported escape sequence \\${e}`, j);
          text += s;
          j += 2;
          continue;
        }
        if (interp && d === '{') {
          if (at(j + 1) === '{') {
            text += '{';
            j += 2;
            continue;
          }
          if (text) parts.push({ text });
          text = '';
          // find the matching close brace, skipping nested strings and brackets
          let depth = 0;
          let k = j + 1;
          let formatAt = -1;
          for (;;) {
            if (k >= end) fail('unterminated interpolation hole', j);
            const ch = src[k]!;
            if (ch === '"' || ch === "'") {
              k = skipQuoted(src, k, end);
              continue;
            }
            if (ch === '(' || ch === '[' || ch === '{') depth++;
            else if (ch === ')' || ch === ']') depth--;
            else if (ch === '}') {
              if (depth === 0) break;
              depth--;
            } else if (ch === ':' && depth === 0 && formatAt < 0 && src[k - 1] !== ':' && src[k + 1] !== ':') {
              // `{x ? a : b}` needs parentheses in C#, so a top-level colon starts the format
              formatAt = k;
            }
            k++;
          }
          const codeEnd = formatAt >= 0 ? formatAt : k;
          const part: InterpPart = { code: src.slice(j + 1, codeEnd), offset: j + 1 + base };
          if (formatAt >= 0) part.format = src.slice(formatAt + 1, k);
          parts.push(part);
          j = k + 1;
          continue;
        }
        if (interp && d === '}' && at(j + 1) === '}') {
          text += '}';
          j += 2;
          continue;
        }
        text += d;
        j++;
      }
      if (interp) {
        if (text) parts.push({ text });
        out.push({ kind: 'interp', value: '', parts, pos });
      } else out.push({ kind: 'string', value: text, pos });
      i = j;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let value: string;
      if (at(j) === '\\') {
        const e = at(j + 1);
        if (e === 'u') {
          value = String.fromCharCode(parseInt(src.slice(j + 2, j + 6), 16));
          j += 6;
        } else {
          const s = SIMPLE_ESCAPES[e];
          if (s === undefined) fail(`unsupported escape sequence \\${e}`, j);
          value = s!;
          j += 2;
        }
      } else {
        value = at(j);
        j++;
      }
      if (at(j) !== "'") fail('bad character literal', i);
      out.push({ kind: 'char', value, pos });
      i = j + 1;
      continue;
    }
    const p = PUNCT.find((x) => src.startsWith(x, i) && i + x.length <= end);
    if (!p) fail(`unexpected character '${c}'`, i);
    out.push({ kind: 'punct', value: p!, pos });
    i += p!.length;
  }
  out.push({ kind: 'eof', value: '', pos: end + base });
  return out;
}

function skipQuoted(src: string, k: number, end: number): number {
  const q = src[k];
  const verbatim = k > 0 && src[k - 1] === '@';
  let j = k + 1;
  while (j < end) {
    if (src[j] === q) {
      if (verbatim && src[j + 1] === q) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    if (!verbatim && src[j] === '\\') j++;
    j++;
  }
  return j;
}
