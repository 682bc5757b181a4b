/**
 * Tokens of the C# subset that APIM policy expressions use. Positions are offsets into the
 * expression's code (including the leading `@(` / `@{`), turned into line:col by the caller.
 */
import { CSharpError } from './diagnostics.js';

export type NumType = 'int' | 'uint' | 'long' | 'ulong' | 'float' | 'double' | 'decimal';

/** The type of an integer literal from its value and its u/l suffix (C# spec, integer literals). */
function integerType(num: number, suffix: string): NumType {
  const s = suffix.toLowerCase();
  const u = s.includes('u');
  const l = s.includes('l');
  if (u && l) return 'ulong';
  if (u) return num <= 0xffffffff ? 'uint' : 'ulong';
  if (l) return num <= 2 ** 63 - 1 ? 'long' : 'ulong';
  if (num <= 2 ** 31 - 1) return 'int';
  if (num <= 0xffffffff) return 'uint';
  return num <= 2 ** 63 - 1 ? 'long' : 'ulong';
}

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
  /** for numbers: the literal's C# type (`int`, `uint`, `long`, `ulong`, `float`, `double`, `decimal`) */
  numType?: NumType;
  parts?: InterpPart[];
  pos: number;
}

const PUNCT = [
  '=>', '??=', '??', '?.', '==', '!=', '<=', '>=', '&&', '||', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
  '<<=', '::', '..', '->', '(', ')', '[', ']', '{', '}', '.', ',', ';', ':', '?', '+', '-', '*', '/', '%', '!', '<', '>', '=', '&', '|', '^', '~',
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
    throw new CSharpError('CS_SYNTAX', msg, p + base);
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
      if (c === '0' && (at(i + 1) === 'b' || at(i + 1) === 'B')) {
        // binary literal (C# 7)
        j = i + 2;
        while (j < end && /[01_]/.test(src[j]!)) j++;
        const num = parseInt(src.slice(i + 2, j).replace(/_/g, ''), 2);
        const from = j;
        while (/[uUlL]/.test(at(j))) j++;
        out.push({ kind: 'number', value: src.slice(i, j), num, isInt: true, numType: integerType(num, src.slice(from, j)), pos });
        i = j;
        continue;
      }
      if (c === '0' && (at(i + 1) === 'x' || at(i + 1) === 'X')) {
        j = i + 2;
        while (j < end && /[0-9a-fA-F_]/.test(src[j]!)) j++;
        const num = parseInt(src.slice(i + 2, j).replace(/_/g, ''), 16);
        const from = j;
        while (/[uUlL]/.test(at(j))) j++;
        out.push({ kind: 'number', value: src.slice(i, j), num, isInt: true, numType: integerType(num, src.slice(from, j)), pos });
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
      const num = Number(text);
      let numType: NumType = isInt ? 'int' : 'double';
      if (/[dDfFmM]/.test(suffix)) {
        isInt = false;
        numType = /[dD]/.test(suffix) ? 'double' : /[fF]/.test(suffix) ? 'float' : 'decimal';
        j++;
      } else {
        const from = j;
        while (/[uUlL]/.test(at(j))) j++;
        if (isInt) numType = integerType(num, src.slice(from, j));
      }
      out.push({ kind: 'number', value: text, num, isInt, numType, pos });
      i = j;
      continue;
    }
    // strings: "..", @"..", $"..", $@"..", @$".."
    const prefix = stringPrefixLength(src, i, end);
    if (prefix > 0) {
      const opener = src.slice(i, i + prefix);
      if (!opener.includes('@') && src.startsWith('"""', i + prefix - 1)) {
        throw new CSharpError('CS_VERSION', 'a raw string literal ("""…""") is C# 11; APIM compiles C# 7', pos);
      }
      if (opener.startsWith('@$')) {
        throw new CSharpError('CS_VERSION', 'an interpolated verbatim string written @$"…" (C# 7 needs $@"…") is C# 8; APIM compiles C# 7', pos);
      }
      let lit: StringLiteral;
      try {
        lit = scanStringLiteral(src, i, end);
      } catch (err) {
        if (err instanceof CSharpError) fail(err.detail, err.pos);
        throw err;
      }
      if (lit.problem) fail(lit.problem.message, lit.problem.pos);
      if (lit.interpolated) out.push({ kind: 'interp', value: '', parts: lit.parts.map((p) => ('code' in p ? { ...p, offset: p.offset + base } : p)), pos });
      else out.push({ kind: 'string', value: lit.text, pos });
      i = lit.end;
      continue;
    }
    if (c === "'") {
      const ch = scanCharLiteral(src, i, end);
      if (!ch) fail('bad character literal', i);
      if (ch!.problem) fail(ch!.problem.message, ch!.problem.pos);
      out.push({ kind: 'char', value: ch!.value, pos });
      i = ch!.end;
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

/**
 * Length of the string-literal prefix at `i` (`"` → 1, `@"`/`$"` → 2, `$@"`/`@$"` → 3), or 0 when
 * no string literal starts there.
 */
export function stringPrefixLength(src: string, i: number, end = src.length): number {
  const c = src[i];
  if (i >= end) return 0;
  if (c === '"') return 1;
  if (c !== '@' && c !== '$') return 0;
  const d = src[i + 1];
  if (d === '"') return 2;
  if ((d === '@' || d === '$') && d !== c && src[i + 2] === '"') return 3;
  return 0;
}

/** A problem inside a literal that does not hide where it ends (a bad escape sequence). */
export interface LiteralProblem {
  message: string;
  pos: number;
}

export interface StringLiteral {
  /** offset just after the closing quote */
  end: number;
  verbatim: boolean;
  interpolated: boolean;
  /** decoded text (for an interpolated string: the text of its last literal run) */
  text: string;
  /** for an interpolated string: literal runs and holes (hole offsets are in `src`) */
  parts: InterpPart[];
  problem?: LiteralProblem;
}

/**
 * Finds the end of the hole of an interpolated string: `open` is the offset of its `{`; returns
 * the offset of the matching `}` and the offset of a top-level format colon (or -1).
 */
export type HoleScanner = (src: string, open: number, end: number) => { close: number; formatAt: number };

/**
 * Reads the string literal starting at `i` (its `@`/`$` prefix included): the one place that
 * knows C#'s string rules, used by the tokenizer and by the XML scanner that masks expressions.
 * Throws CSharpError (CS_SYNTAX) when it never closes; a bad escape is reported in `problem`.
 * `hole` finds where an interpolation hole ends (default: balanced brackets, nested literals
 * skipped by this same function).
 */
export function scanStringLiteral(src: string, i: number, end = src.length, hole: HoleScanner = scanHole): StringLiteral {
  const prefix = stringPrefixLength(src, i, end);
  if (prefix === 0) throw new CSharpError('CS_SYNTAX', 'expected a string literal', i);
  const verbatim = src.slice(i, i + prefix).includes('@');
  const interpolated = src.slice(i, i + prefix).includes('$');
  let j = i + prefix;
  const parts: InterpPart[] = [];
  let text = '';
  let problem: LiteralProblem | undefined;
  const note = (message: string, pos: number): void => {
    if (!problem) problem = { message, pos };
  };
  for (;;) {
    if (j >= end) throw new CSharpError('CS_SYNTAX', 'unterminated string literal', i);
    const d = src[j]!;
    if (d === '"') {
      if (verbatim && src[j + 1] === '"' && j + 1 < end) {
        text += '"';
        j += 2;
        continue;
      }
      j++;
      break;
    }
    if (!verbatim && d === '\\') {
      const e = j + 1 < end ? src[j + 1]! : '';
      if (e === 'u' || e === 'x') {
        const m = /^[0-9a-fA-F]{1,4}/.exec(src.slice(j + 2, Math.min(end, j + 6)));
        if (!m || (e === 'u' && m[0].length !== 4)) {
          note('bad escape sequence', j);
          text += e;
          j += 2;
          continue;
        }
        text += String.fromCharCode(parseInt(m[0], 16));
        j += 2 + m[0].length;
        continue;
      }
      const s = SIMPLE_ESCAPES[e];
      if (s === undefined) note(`unsupported escape sequence \\${e}`, j);
      text += s ?? e;
      j += 2;
      continue;
    }
    if (!verbatim && (d === '\n' || d === '\r')) note('newline in a string literal (only a verbatim @"…" string spans lines)', j);
    if (interpolated && d === '{') {
      if (src[j + 1] === '{') {
        text += '{';
        j += 2;
        continue;
      }
      if (text) parts.push({ text });
      text = '';
      const { close, formatAt } = hole(src, j, end);
      const codeEnd = formatAt >= 0 ? formatAt : close;
      const part: InterpPart = { code: src.slice(j + 1, codeEnd), offset: j + 1 };
      if (formatAt >= 0) part.format = src.slice(formatAt + 1, close);
      parts.push(part);
      j = close + 1;
      continue;
    }
    if (interpolated && d === '}' && src[j + 1] === '}') {
      text += '}';
      j += 2;
      continue;
    }
    text += d;
    j++;
  }
  if (interpolated && text) parts.push({ text });
  const lit: StringLiteral = { end: j, verbatim, interpolated, text, parts };
  if (problem) lit.problem = problem;
  return lit;
}

/** The default hole scanner: balanced brackets up to the hole's `}`, literals skipped. */
export function scanHole(src: string, open: number, end: number): { close: number; formatAt: number } {
  let depth = 0;
  let k = open + 1;
  let formatAt = -1;
  for (;;) {
    if (k >= end) throw new CSharpError('CS_SYNTAX', 'unterminated interpolation hole', open);
    const ch = src[k]!;
    if (stringPrefixLength(src, k, end) > 0) {
      k = scanStringLiteral(src, k, end).end;
      continue;
    }
    if (ch === "'") {
      const c = scanCharLiteral(src, k, end);
      k = c ? c.end : k + 1;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === '}') {
      if (depth === 0) return { close: k, formatAt };
      depth--;
    } else if (ch === ':' && depth === 0 && formatAt < 0 && src[k - 1] !== ':' && src[k + 1] !== ':') {
      // `{x ? a : b}` needs parentheses in C#, so a top-level colon starts the format
      formatAt = k;
    }
    k++;
  }
}

export interface CharLiteral {
  end: number;
  value: string;
  problem?: LiteralProblem;
}

/**
 * Reads the char literal starting at `i` (`'a'`, `'\''`, `'\u0041'`, `'\x41'`), or returns null
 * when no closing quote follows within the few characters a char literal can span.
 */
export function scanCharLiteral(src: string, i: number, end = src.length): CharLiteral | null {
  let j = i + 1;
  let value: string;
  let problem: LiteralProblem | undefined;
  if (src[j] === '\\' && j + 1 < end) {
    const e = src[j + 1]!;
    if (e === 'u' || e === 'x') {
      const m = /^[0-9a-fA-F]{1,4}/.exec(src.slice(j + 2, Math.min(end, j + 6)));
      if (!m || (e === 'u' && m[0].length !== 4)) {
        problem = { message: 'bad escape sequence', pos: j };
        value = e;
        j += 2;
      } else {
        value = String.fromCharCode(parseInt(m[0], 16));
        j += 2 + m[0].length;
      }
    } else {
      const s = SIMPLE_ESCAPES[e];
      if (s === undefined) problem = { message: `unsupported escape sequence \\${e}`, pos: j };
      value = s ?? e;
      j += 2;
    }
  } else {
    if (j >= end || src[j] === "'" || src[j] === '\n') return null;
    value = src[j]!;
    j++;
  }
  if (j >= end || src[j] !== "'") return null;
  const lit: CharLiteral = { end: j + 1, value };
  if (problem) lit.problem = problem;
  return lit;
}
